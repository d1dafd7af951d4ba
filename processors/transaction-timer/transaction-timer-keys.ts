import type { TransactionStarted } from "../../gen/transactions/v1/transaction_event_pb.js";
import { bucketOf } from "../../runtime/processor/timer-buckets.js";
import type { TimerKeys } from "../../runtime/processor/timer-logic.js";
import { offsetsKey } from "../../runtime/state/redis-state-store.js";

/**
 * Dragonfly layout of the transaction timer (namespace prefix first, "" when live):
 *   txn:pending:<partition>:<b>  hash  transaction id → pending Start (compact, pending-value-codec.ts);
 *                                    b = bucketOf(id, PENDING_BUCKETS); the deadline is in the value
 *   txn:client:<client id>:<b>   hash  transaction id → partition, for ListPending;
 *                                    b = bucketOf(id, CLIENT_BUCKETS)
 *   txn:watermarks             hash   partition → largest event time applied
 *   txn:rebuild-from           string earliest Start time (ms) a requested rebuild re-reads (expires)
 *   tributary:offsets:transaction-timer  hash  <topic>:<partition> → next offset
 * Everything of a partition, its watermark and its offset change together in one Lua script.
 *
 * Buckets keep every hash small (1M pending: ≈ 160 per pending bucket, ≈ 160 per client bucket at
 * 10,000 pending per client), so Redis stores them as listpacks with `hash-max-listpack-entries
 * 512` and `hash-max-listpack-value 256`: ≈ 190 B a pending transaction instead of ≈ 480 B with a
 * hashtable per partition plus a deadline sorted set. Changing a bucket count moves every key:
 * it needs `tributary replay transaction-timer` (the rebuild rewrites the state).
 * The layout before buckets (`txn:pending:<partition>`, `txn:deadlines:<partition>`,
 * `txn:client:<client id>`) is migrated by the timer: on load it reads the old hash too, and its
 * first commit writes those timers into the buckets and deletes the old keys, atomically.
 * ListPending reads only the buckets, so it misses a partition's pending transactions from the
 * upgrade until the new timer's first commit on that partition.
 */
export const PENDING_BUCKETS = 1024;
export const CLIENT_BUCKETS = 64;
export const TRANSACTION_TIMER = "transaction-timer";

export interface TransactionTimerKeys extends TimerKeys {
  /** The client-index hash holding `transactionId` of `clientId`. */
  client(clientId: string, transactionId: string): string;
  /** Every client-index hash of `clientId` (ListPending reads them all). */
  clientBuckets(clientId: string): readonly string[];
  /** The per-client index hash of the layout before buckets (deleted when migrated). */
  legacyClient(clientId: string): string;
  /** Set by `tributary replay transaction-timer --from`: the rebuild starts no later than this. */
  readonly rebuildFrom: string;
}

export function transactionTimerKeys(namespace = ""): TransactionTimerKeys {
  return {
    offsets: offsetsKey(namespace, TRANSACTION_TIMER),
    timers: (partition, id) => `${namespace}txn:pending:${partition}:${bucketOf(id, PENDING_BUCKETS)}`,
    timerBuckets: (partition) => buckets(`${namespace}txn:pending:${partition}:`, PENDING_BUCKETS),
    watermarks: `${namespace}txn:watermarks`,
    client: (clientId, id) => `${namespace}txn:client:${clientId}:${bucketOf(id, CLIENT_BUCKETS)}`,
    clientBuckets: (clientId) => buckets(`${namespace}txn:client:${clientId}:`, CLIENT_BUCKETS),
    legacyTimers: (partition) => `${namespace}txn:pending:${partition}`,
    legacyKeys: (partition) => [`${namespace}txn:deadlines:${partition}`],
    legacyClient: (clientId) => `${namespace}txn:client:${clientId}`,
    rebuildFrom: `${namespace}txn:rebuild-from`,
  };
}

/** A Start whose timer is running. */
export interface PendingTransaction {
  readonly started: TransactionStarted;
  /** Event time of the Start. */
  readonly startedAtMs: number;
  readonly deadlineMs: number;
  /** The Start record's W3C `traceparent`: the timeout record continues the Start's trace. */
  readonly traceparent?: string;
}

/** Stable across retries and re-emissions: one Start instance, one key. */
export function idempotencyKey(transactionId: string, startedAtMs: number): string {
  return `${transactionId}:${startedAtMs}`;
}

function buckets(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, b) => `${prefix}${b}`);
}
