import type { TransactionStarted } from "../../gen/transactions/v1/transaction_event_pb.js";
import type { TimerKeys } from "../../runtime/processor/timer-logic.js";
import { offsetsKey } from "../../runtime/state/redis-state-store.js";

/**
 * Dragonfly layout of the transaction timer (namespace prefix first, "" when live):
 *   txn:pending:<partition>    hash   transaction id → pending Start (compact, pending-value-codec.ts)
 *   txn:deadlines:<partition>  zset   transaction id scored by deadline (event time, ms)
 *   txn:client:<client id>     hash   transaction id → partition, for ListPending
 *   txn:watermarks             hash   partition → largest event time applied
 *   txn:rebuild-from           string earliest Start time (ms) a requested rebuild re-reads (expires)
 *   tributary:offsets:transaction-timer  hash  <topic>:<partition> → next offset
 * Everything of a partition, its watermark and its offset change together in one Lua script.
 */
export const TRANSACTION_TIMER = "transaction-timer";

export interface TransactionTimerKeys extends TimerKeys {
  client(clientId: string): string;
  /** Set by `tributary replay transaction-timer --from`: the rebuild starts no later than this. */
  readonly rebuildFrom: string;
}

export function transactionTimerKeys(namespace = ""): TransactionTimerKeys {
  return {
    offsets: offsetsKey(namespace, TRANSACTION_TIMER),
    timers: (partition) => `${namespace}txn:pending:${partition}`,
    deadlines: (partition) => `${namespace}txn:deadlines:${partition}`,
    watermarks: `${namespace}txn:watermarks`,
    client: (clientId) => `${namespace}txn:client:${clientId}`,
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
