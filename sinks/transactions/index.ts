/**
 * Contract of the transactions sink. Its read side is SQL: the `transactions` and
 * `transaction_stray_stops` tables and the `transaction_outcomes` view (migrations/). Everything
 * else in this folder is internal (tools/check-boundaries.ts).
 */
export { TRANSACTIONS_SINK } from "./transactions-sink.js";
