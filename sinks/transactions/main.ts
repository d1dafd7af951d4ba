import { callbackLedgerMigrationsDir } from "../../processors/callback-dispatcher/index.js";
import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
import { usePostgres } from "../../runtime/state/resources.js";
import { DEFAULT_HTTP_PORT, ENV_PREFIX, readMaxEventSkewMs, SERVICE_NAME } from "./config.js";
import {
  applyTransactionEvents,
  TRANSACTIONS_SINK,
  type TransactionRecord,
  transactionsSinkProjection,
} from "./transactions-sink.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["transactions"],
  });
  const tuning = readProcessorTuning(platform, ENV_PREFIX, TRANSACTIONS_SINK);
  // The outcomes view (003_transactions_outcomes_view.sql) joins the dispatcher's ledger: its
  // migrations first.
  const pool = await usePostgres(platform, callbackLedgerMigrationsDir(), migrationsDirBeside(import.meta.url));
  const store = new PgStateStore<TransactionRecord[]>(pool, tuning.groupId, applyTransactionEvents);
  await runProcessorService(platform, transactionsSinkProjection(readMaxEventSkewMs(platform.env)), store, tuning);
});
