/**
 * Contract of the transaction timer: what other flows, the CLI and tests may use. Everything
 * else in this folder is internal (the boundary check, tools/check-boundaries.ts, enforces it).
 */

export { decodePending, encodePending, pendingDeadlineMs } from "./pending-value-codec.js";
export { type OpenInstance, type PairedEvent, pairStartStop, type StartStopOutcome } from "./start-stop-pairing.js";
export { DEFAULT_MAX_EVENT_SKEW_MS, readTransactionEvent, type TransactionFacts } from "./transaction-event-rules.js";
export {
  CLIENT_BUCKETS,
  idempotencyKey,
  PENDING_BUCKETS,
  type PendingTransaction,
  TRANSACTION_TIMER,
  type TransactionTimerKeys,
  transactionTimerKeys,
} from "./transaction-timer-keys.js";
