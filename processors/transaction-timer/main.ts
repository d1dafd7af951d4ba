import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning } from "../../runtime/processor/processor-service.js";
import { runTaskService } from "../../runtime/processor/task-service.js";
import { kafkaTimerRebuild } from "../../runtime/processor/timer-rebuild.js";
import { timerTask } from "../../runtime/processor/timer-task.js";
import { RedisTimerStore } from "../../runtime/state/redis-timer-store.js";
import { useRedis } from "../../runtime/state/resources.js";
import {
  DEFAULT_FLUSH,
  DEFAULT_HTTP_PORT,
  ENV_PREFIX,
  readTransactionTimerConfig,
  rebuildLookbackMs,
  SERVICE_NAME,
} from "./config.js";
import { TRANSACTION_TIMER, transactionTimerKeys } from "./transaction-timer-keys.js";
import { transactionTimerLogic } from "./transaction-timer-logic.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["transactions", "transactions.timeouts"],
  });
  const { log, codec, metrics } = platform;
  const tuning = readProcessorTuning(platform, ENV_PREFIX, TRANSACTION_TIMER, DEFAULT_FLUSH);
  const config = readTransactionTimerConfig(platform.env);
  const redis = useRedis(platform);
  const keys = transactionTimerKeys(platform.config.stateNamespace);
  const logic = transactionTimerLogic({ keys, maxEventSkewMs: config.maxEventSkewMs, log, metrics });
  const rebuild = kafkaTimerRebuild({
    kafka: platform.kafka,
    inputTopic: platform.topic("transactions"),
    outputTopic: platform.topic("transactions.timeouts"),
    outputMessage: logic.outputMessage,
    codec,
    firedIdOfOutput: (message) => logic.firedIdOfOutput?.(message) ?? "",
    lookbackMs: rebuildLookbackMs(config),
    maxEventSkewMs: config.maxEventSkewMs,
    requestedFromMs: async () => {
      const from = await redis.get(keys.rebuildFrom);
      return from === null ? null : Number(from);
    },
    log,
  });
  await runTaskService(
    platform,
    ({ producer }) =>
      timerTask({
        logic,
        keys,
        store: new RedisTimerStore(redis, keys, platform.topic("transactions")),
        codec,
        producer,
        outputTopic: platform.topic("transactions.timeouts"),
        allowedLatenessMs: config.allowedLatenessMs,
        rebuild,
        log,
        metrics,
      }),
    {
      topic: "transactions",
      groupId: tuning.groupId,
      sessionTimeoutMs: config.sessionTimeoutMs,
      flushEveryRecords: tuning.flushEveryRecords,
      flushIntervalMs: tuning.flushIntervalMs,
      tickIntervalMs: config.tickIntervalMs,
      initialOffset: rebuild.initialOffset,
      details: { ...tuning, ...config },
    },
  );
});
