import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { runConsumerService } from "../../runtime/processor/consumer-service.js";
import { DeliveryRunner } from "../../runtime/processor/run-deliveries.js";
import { migrate } from "../../runtime/state/migrations.js";
import { migrationsDir, openPool } from "../../runtime/state/pg-pool.js";
import { CALLBACK_DISPATCHER, callbackHandler } from "./callback-handler.js";
import { callbackLedger } from "./callback-ledger.js";
import { DEFAULT_HTTP_PORT, readCallbackDispatcherConfig, SERVICE_NAME } from "./config.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["transactions.timeouts"],
  });
  const { log, shutdown, kafka, codec, metrics } = platform;
  const config = readCallbackDispatcherConfig(platform.env, CALLBACK_DISPATCHER);
  const pool = openPool(platform.config.databaseUrl);
  shutdown.onShutdown("postgres", () => pool.end());
  await migrate(pool, migrationsDir(), log);
  const producer = kafka.createProducer();
  await producer.connect();
  shutdown.onShutdown("dlq-producer", () => producer.disconnect());
  const handler = callbackHandler({
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnectionsPerOrigin: config.maxConcurrent,
  });
  shutdown.onShutdown("http-agent", () => handler.close());
  const runner = new DeliveryRunner({
    handler,
    ledger: callbackLedger(pool, config.groupId),
    kafka,
    codec,
    producer,
    physicalTopic: platform.topic("transactions.timeouts"),
    deadLetterTopic: platform.topic("transactions.timeouts.dlq"),
    groupId: config.groupId,
    sessionTimeoutMs: config.sessionTimeoutMs,
    schedule: config.schedule,
    maxConcurrent: config.maxConcurrent,
    maxInFlightPerPartition: config.maxInFlightPerPartition,
    flushIntervalMs: config.flushIntervalMs,
    signal: shutdown.signal,
    log,
    metrics,
  });
  await runConsumerService(
    platform,
    SERVICE_NAME,
    () => runner.run(),
    () => true,
    { ...config },
  );
});
