import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { deliveryTask } from "../../runtime/processor/delivery-task.js";
import { runTaskService } from "../../runtime/processor/task-service.js";
import { migrate } from "../../runtime/state/migrations.js";
import { migrationsDir, migrationsDirBeside, openPool } from "../../runtime/state/pg-pool.js";
import { DEFAULT_HTTP_PORT, readPostbackDeliveryConfig, SERVICE_NAME } from "./config.js";
import { startPendingGauges } from "./pending-gauges.js";
import { postbackHandler } from "./postback-handler.js";
import { postbackLedger } from "./postback-ledger.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["postbacks"],
  });
  const { log, shutdown, metrics } = platform;
  const config = readPostbackDeliveryConfig(platform.env);
  const pool = openPool(platform.config.databaseUrl);
  shutdown.onShutdown("postgres", () => pool.end());
  await migrate(pool, migrationsDir(), log);
  await migrate(pool, migrationsDirBeside(import.meta.url), log);
  const handler = postbackHandler({
    requestTimeoutMs: config.requestTimeoutMs,
    excerptBytes: config.excerptBytes,
    signingKeys: config.signingKeys,
    maxConcurrent: config.maxConcurrent,
    outbound: config.outbound,
    metrics,
  });
  shutdown.onShutdown("http-agent", () => handler.close());
  shutdown.onShutdown("pending-gauges", startPendingGauges(pool, metrics, config.metricsIntervalMs, log));
  if (config.outbound.allowCidrs.length > 0) {
    log.warn({ allowCidrs: config.outbound.allowCidrs }, "outbound allow-list opens non-public ranges");
  }
  await runTaskService(
    platform,
    () =>
      deliveryTask({
        handler,
        ledger: postbackLedger(pool, config.groupId),
        physicalTopic: platform.topic("postbacks"),
        schedule: config.schedule,
        maxConcurrent: config.maxConcurrent,
        maxInFlightPerPartition: config.maxInFlightPerPartition,
        signal: shutdown.signal,
        log,
        metrics,
      }),
    {
      topic: "postbacks",
      groupId: config.groupId,
      sessionTimeoutMs: config.sessionTimeoutMs,
      // Deliveries commit on the interval (attempt log and the in-order position), not per record.
      flushEveryRecords: Number.MAX_SAFE_INTEGER,
      flushIntervalMs: config.flushIntervalMs,
      tickIntervalMs: config.flushIntervalMs,
      details: {
        ...config,
        signingKeys: config.signingKeys.length,
        schedule: config.schedule,
      },
    },
  );
});
