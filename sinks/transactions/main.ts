import { callbackLedgerMigrationsDir } from "../../processors/callback-dispatcher/index.js";
import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { migrate } from "../../runtime/state/migrations.js";
import { migrationsDir, migrationsDirBeside, openPool } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
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
  const pool = openPool(platform.config.databaseUrl);
  platform.shutdown.onShutdown("postgres", () => pool.end());
  await migrate(pool, migrationsDir(), platform.log);
  // The outcomes view (003_transactions_outcomes_view.sql) joins the dispatcher's ledger.
  await migrate(pool, callbackLedgerMigrationsDir(), platform.log);
  await migrate(pool, migrationsDirBeside(import.meta.url), platform.log);
  const store = new PgStateStore<TransactionRecord[]>(pool, tuning.groupId, applyTransactionEvents);
  await runProcessorService(platform, transactionsSinkProjection(readMaxEventSkewMs(platform.env)), store, tuning);
});
