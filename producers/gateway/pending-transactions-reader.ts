import type { Redis } from "ioredis";
import type { TransactionStarted } from "../../gen/transactions/v1/transaction_event_pb.js";
import {
  decodePending,
  type PendingTransaction,
  transactionTimerKeys,
} from "../../processors/transaction-timer/index.js";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { KafkaAdapter } from "../../runtime/kafka/kafka-adapter.js";
import type { Logger } from "../../runtime/observability/logger.js";
import { offsetField } from "../../runtime/state/redis-state-store.js";

export interface PendingList {
  readonly pending: TransactionStarted[];
  readonly caughtUp: boolean;
}

/**
 * ListPending from the timer's Dragonfly state. Read-your-writes: it first waits (bounded) until
 * the timer's committed offsets reach the `transactions` end offsets seen at the call, so a Start
 * and Stop acknowledged just before the call are both reflected.
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

  async list(clientId: string): Promise<PendingList> {
    try {
      const caughtUp = await this.#waitForTimer();
      const index = await this.redis.hgetall(this.#keys.client(clientId));
      const byPartition = new Map<string, string[]>();
      for (const [id, partition] of Object.entries(index)) {
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), id]);
      }
      const pending: PendingTransaction[] = [];
      for (const [partition, ids] of byPartition) {
        const values = await this.redis.hmget(this.#keys.timers(Number(partition)), ...ids);
        values.forEach((value, i) => {
          if (value !== null) pending.push(decodePending(value, ids[i] as string));
        });
      }
      pending.sort(
        (a, b) => a.startedAtMs - b.startedAtMs || a.started.transactionId.localeCompare(b.started.transactionId),
      );
      if (!caughtUp) this.log.warn({ clientId }, "ListPending answered while the timer is behind");
      return { pending: pending.map((p) => p.started), caughtUp };
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
      for (const p of partitions) pipeline.hget(this.#keys.timers(p.partition), transactionId);
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
