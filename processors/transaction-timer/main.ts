import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { runConsumerService } from "../../runtime/processor/consumer-service.js";
import { readProcessorTuning } from "../../runtime/processor/processor-service.js";
import { TimerRunner } from "../../runtime/processor/run-timers.js";
import { connectRedis } from "../../runtime/state/redis-connection.js";
import { DEFAULT_FLUSH, DEFAULT_HTTP_PORT, ENV_PREFIX, readTransactionTimerConfig, SERVICE_NAME } from "./config.js";
import { TRANSACTION_TIMER, transactionTimerKeys } from "./transaction-timer-keys.js";
import { transactionTimerLogic } from "./transaction-timer-logic.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["transactions", "transactions.timeouts"],
  });
  const { log, shutdown, kafka, codec, metrics } = platform;
  const tuning = readProcessorTuning(platform, ENV_PREFIX, TRANSACTION_TIMER, DEFAULT_FLUSH);
  const config = readTransactionTimerConfig(platform.env);
  const redis = connectRedis(platform.config.redisUrl);
  shutdown.onShutdown("redis", async () => {
    await redis.quit();
  });
  const producer = kafka.createProducer();
  await producer.connect();
  shutdown.onShutdown("producer", () => producer.disconnect());
  const keys = transactionTimerKeys(platform.config.stateNamespace);
  const runner = new TimerRunner({
    logic: transactionTimerLogic({ keys, maxEventSkewMs: config.maxEventSkewMs, log, metrics }),
    keys,
    redis,
    kafka,
    codec,
    producer,
    physicalTopic: platform.topic("transactions"),
    outputTopic: platform.topic("transactions.timeouts"),
    deadLetterTopic: platform.topic("transactions.dlq"),
    groupId: tuning.groupId,
    allowedLatenessMs: config.allowedLatenessMs,
    tickIntervalMs: config.tickIntervalMs,
    flushEveryRecords: tuning.flushEveryRecords,
    flushIntervalMs: tuning.flushIntervalMs,
    sessionTimeoutMs: config.sessionTimeoutMs,
    signal: shutdown.signal,
    log,
    metrics,
  });
  await runConsumerService(
    platform,
    SERVICE_NAME,
    () => runner.run(),
    () => redis.status === "ready",
    {
      ...tuning,
      ...config,
    },
  );
});
