/**
 * Contract of the callback dispatcher: what a callback target means (the gateway validates Starts
 * with the same parser), the header carrying the idempotency key, and the ledger's migrations
 * (for read-side joins). Everything else in this folder is internal (tools/check-boundaries.ts).
 */
export { CALLBACK_DISPATCHER, IDEMPOTENCY_KEY_HEADER } from "./callback-handler.js";
export { CALLBACK_SCHEMES, type CallbackTarget, parseCallbackTarget } from "./callback-target.js";
export { callbackLedgerMigrationsDir } from "./ledger-migrations.js";
