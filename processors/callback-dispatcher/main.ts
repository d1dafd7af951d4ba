import { runMain } from "../../runtime/lifecycle/run-main.js";
import { readOutboundConfig } from "../../runtime/outbound/outbound-config.js";
import { startPlatform } from "../../runtime/platform.js";
import { deliveryTask } from "../../runtime/processor/delivery-task.js";
import { runTaskService } from "../../runtime/processor/task-service.js";
import { migrate } from "../../runtime/state/migrations.js";
import { migrationsDir, migrationsDirBeside, openPool } from "../../runtime/state/pg-pool.js";
import { CALLBACK_DISPATCHER, callbackHandler } from "./callback-handler.js";
import { callbackLedger } from "./callback-ledger.js";
import { DEFAULT_HTTP_PORT, readCallbackDispatcherConfig, SERVICE_NAME } from "./config.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["transactions.timeouts"],
  });
  const { log, shutdown, metrics } = platform;
  const config = readCallbackDispatcherConfig(platform.env, CALLBACK_DISPATCHER);
  const pool = openPool(platform.config.databaseUrl);
  shutdown.onShutdown("postgres", () => pool.end());
  await migrate(pool, migrationsDir(), log);
  await migrate(pool, migrationsDirBeside(import.meta.url), log);
  const handler = callbackHandler({
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnectionsPerOrigin: config.maxConcurrent,
    outbound: readOutboundConfig(platform.env),
    metrics,
  });
  shutdown.onShutdown("http-agent", () => handler.close());
  await runTaskService(
    platform,
    () =>
      deliveryTask({
        handler,
        ledger: callbackLedger(pool, config.groupId),
        physicalTopic: platform.topic("transactions.timeouts"),
        schedule: config.schedule,
        maxConcurrent: config.maxConcurrent,
        maxInFlightPerPartition: config.maxInFlightPerPartition,
        signal: shutdown.signal,
        log,
        metrics,
      }),
    {
      topic: "transactions.timeouts",
      groupId: config.groupId,
      sessionTimeoutMs: config.sessionTimeoutMs,
      // Deliveries commit on the interval (outcomes and the in-order position), not per record.
      flushEveryRecords: Number.MAX_SAFE_INTEGER,
      flushIntervalMs: config.flushIntervalMs,
      tickIntervalMs: config.flushIntervalMs,
      details: { ...config },
    },
  );
});
