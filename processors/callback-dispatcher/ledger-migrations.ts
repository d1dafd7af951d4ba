import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";

/**
 * This flow's migrations folder (the `transaction_callbacks` ledger). Besides the dispatcher,
 * the transactions sink applies it before its own: its outcomes view joins the ledger.
 */
export function callbackLedgerMigrationsDir(): string {
  return migrationsDirBeside(import.meta.url);
}
