import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning } from "../../runtime/processor/processor-service.js";
import { runTaskService } from "../../runtime/processor/task-service.js";
import { timerTask } from "../../runtime/processor/timer-task.js";
import { RedisTimerStore } from "../../runtime/state/redis-timer-store.js";
import { useRedis } from "../../runtime/state/resources.js";
import { DEFAULT_FLUSH, DEFAULT_HTTP_PORT, ENV_PREFIX, readTransactionTimerConfig, SERVICE_NAME } from "./config.js";
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
  await runTaskService(
    platform,
    ({ producer }) =>
      timerTask({
        logic: transactionTimerLogic({ keys, maxEventSkewMs: config.maxEventSkewMs, log, metrics }),
        keys,
        store: new RedisTimerStore(redis, keys, platform.topic("transactions")),
        codec,
        producer,
        outputTopic: platform.topic("transactions.timeouts"),
        allowedLatenessMs: config.allowedLatenessMs,
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
      details: { ...tuning, ...config },
    },
  );
});
