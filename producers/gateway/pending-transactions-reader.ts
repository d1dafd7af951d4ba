import type { Redis } from "ioredis";
import type { TransactionStarted } from "../../gen/transactions/v1/transaction_event_pb.js";
import { decodePending, transactionTimerKeys } from "../../processors/transaction-timer/index.js";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { KafkaAdapter } from "../../runtime/kafka/kafka-adapter.js";
import type { Logger } from "../../runtime/observability/logger.js";
import { offsetField } from "../../runtime/state/redis-state-store.js";

export interface PendingList {
  readonly pending: TransactionStarted[];
  readonly caughtUp: boolean;
  /** Empty on the last page. */
  readonly nextPageToken: string;
  /** The client's pending transactions at the call, all pages. */
  readonly totalSize: number;
}

export interface PendingPageRequest {
  /** 0: DEFAULT_PAGE_SIZE; above MAX_PAGE_SIZE: MAX_PAGE_SIZE. */
  readonly pageSize?: number;
  /** `nextPageToken` of the previous page of the same client; "" for the first. */
  readonly pageToken?: string;
}

/** Page of a caller that names no page size: small enough for any client's default receive limit. */
export const DEFAULT_PAGE_SIZE = 1_000;
export const MAX_PAGE_SIZE = 5_000;
/**
 * A page stops before this many bytes of stored Starts (at least one per page): with payloads up
 * to TRANSACTION_MAX_PAYLOAD_BYTES a full page stays under gRPC's default 4 MiB receive limit.
 */
export const MAX_PAGE_BYTES = 3 * 1024 * 1024;

/**
 * ListPending from the timer's Dragonfly state, page by page (issue 13: one client with 10,000
 * pending was read and answered in one piece: every value fetched and decoded, one multi-MB
 * answer, within the gateway's 300 ms Redis command timeout — under load it failed, and the
 * benchmark saw nothing). Pages follow transaction id order; a page token holds the client id
 * and the last id returned, so a page is exact (no duplicates, nothing skipped of what stays
 * pending) however the set changes between pages. Per page: one pipelined read of the client's
 * index (ids and partitions only) and the values of that page's ids only.
 *
 * Read-your-writes: it first waits (bounded) until the timer's committed offsets reach the
 * `transactions` end offsets seen at the call, so a Start and Stop acknowledged just before the
 * call are both reflected.
 */
export class PendingTransactionsReader {
  readonly #keys;

  constructor(
    private readonly redis: Redis,
    private readonly kafka: KafkaAdapter,
    private readonly transactionsTopic: string,
    namespace: string,
    private readonly waitMs: number,
    private readonly log: Logger,
  ) {
    this.#keys = transactionTimerKeys(namespace);
  }

  async list(clientId: string, page: PendingPageRequest = {}): Promise<PendingList> {
    const pageSize = pageSizeOf(page.pageSize ?? 0);
    const after = page.pageToken ? decodePageToken(page.pageToken, clientId) : null;
    try {
      const caughtUp = await this.#waitForTimer();
      // The client's index buckets (transaction id → partition): ids only, no values.
      const indexPipeline = this.redis.pipeline();
      for (const key of this.#keys.clientBuckets(clientId)) indexPipeline.hgetall(key);
      const partitionOf = new Map<string, number>();
      for (const [err, index] of (await indexPipeline.exec()) ?? []) {
        if (err) throw err;
        for (const [id, partition] of Object.entries((index ?? {}) as Record<string, string>)) {
          partitionOf.set(id, Number(partition));
        }
      }
      const ids = [...partitionOf.keys()].sort(compareIds);
      const from = after === null ? 0 : firstAfter(ids, after);
      const candidates = ids.slice(from, from + pageSize);
      // The page's values, grouped by the hash holding them: one more round trip.
      const byHash = new Map<string, string[]>();
      for (const id of candidates) {
        const hash = this.#keys.timers(partitionOf.get(id) ?? 0, id);
        const group = byHash.get(hash);
        if (group === undefined) byHash.set(hash, [id]);
        else group.push(id);
      }
      const groups = [...byHash];
      const valuePipeline = this.redis.pipeline();
      for (const [hash, group] of groups) valuePipeline.hmget(hash, ...group);
      const replies = groups.length === 0 ? [] : ((await valuePipeline.exec()) ?? []);
      const values = new Map<string, string>();
      replies.forEach(([err, reply], g) => {
        if (err) throw err;
        const group = groups[g]?.[1] ?? [];
        (reply as (string | null)[]).forEach((value, i) => {
          // Null: stopped or fired between the two reads; no longer pending.
          if (value !== null) values.set(group[i] as string, value);
        });
      });
      const pending: TransactionStarted[] = [];
      let bytes = 0;
      let last: string | undefined;
      let full = false;
      for (const id of candidates) {
        const value = values.get(id);
        if (value !== undefined) {
          if (pending.length > 0 && bytes + value.length > MAX_PAGE_BYTES) {
            full = true;
            break;
          }
          bytes += value.length;
          pending.push(decodePending(value, id).started);
        }
        last = id;
      }
      const more = full || from + candidates.length < ids.length;
      if (!caughtUp) this.log.warn({ clientId }, "ListPending answered while the timer is behind");
      return {
        pending,
        caughtUp,
        nextPageToken: more && last !== undefined ? encodePageToken(clientId, last) : "",
        totalSize: ids.length,
      };
    } catch (err) {
      if (err instanceof TributaryError) throw err;
      throw new TributaryError("unavailable", `pending transactions unavailable: ${errorMessage(err)}`, {
        canRetry: true,
        cause: err,
      });
    }
  }

  /**
   * The client id of a transaction the timer holds pending, or null (unknown, stopped, timed out,
   * or its Start not applied yet). One pipelined HGET per partition: the id's partition is not
   * recomputed here, so this stays right whatever partitioner produced the Start.
   */
  async ownerOf(transactionId: string): Promise<string | null> {
    try {
      const partitions = await this.kafka.partitionOffsets(this.transactionsTopic);
      const pipeline = this.redis.pipeline();
      for (const p of partitions) pipeline.hget(this.#keys.timers(p.partition, transactionId), transactionId);
      for (const [err, value] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        if (typeof value === "string") return decodePending(value, transactionId).started.clientId;
      }
      return null;
    } catch (err) {
      if (err instanceof TributaryError) throw err;
      throw new TributaryError("unavailable", `pending transactions unavailable: ${errorMessage(err)}`, {
        canRetry: true,
        cause: err,
      });
    }
  }

  async #waitForTimer(): Promise<boolean> {
    const ends = (await this.kafka.partitionOffsets(this.transactionsTopic)).filter((e) => e.high > e.low);
    if (ends.length === 0) return true;
    const fields = ends.map((e) => offsetField(this.transactionsTopic, e.partition));
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const stored = await this.redis.hmget(this.#keys.offsets, ...fields);
      if (ends.every((e, i) => stored[i] != null && Number(stored[i]) >= e.high)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function pageSizeOf(requested: number): number {
  if (!Number.isInteger(requested) || requested < 0) {
    throw new TributaryError("invalid_argument", `page_size: must be >= 0, got ${requested}`);
  }
  return requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
}

/** Code-unit order: the same order `firstAfter` searches and the token's cursor compares in. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first id greater than `after` in sorted `ids`. */
function firstAfter(ids: readonly string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PageCursor {
  readonly v: 1;
  readonly client: string;
  readonly after: string;
}

/** Opaque to callers: base64url of the client id and the last transaction id of the page. */
export function encodePageToken(clientId: string, after: string): string {
  const cursor: PageCursor = { v: 1, client: clientId, after };
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

export function decodePageToken(token: string, clientId: string): string {
  let cursor: Partial<PageCursor> | null = null;
  try {
    cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<PageCursor>;
  } catch {
    cursor = null;
  }
  if (cursor === null || cursor.v !== 1 || typeof cursor.client !== "string" || typeof cursor.after !== "string") {
    throw new TributaryError("invalid_argument", "page_token: not a token ListPending returned");
  }
  if (cursor.client !== clientId) {
    throw new TributaryError("invalid_argument", "page_token: belongs to another client_id");
  }
  return cursor.after;
}
