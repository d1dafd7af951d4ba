import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { offsetsKey, RedisStateStore } from "../../runtime/state/redis-state-store.js";
import { useRedis } from "../../runtime/state/resources.js";
import {
  DEFAULT_HTTP_PORT,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  ENV_PREFIX,
  IDEMPOTENCY_WINDOW_VAR,
  SERVICE_NAME,
} from "./config.js";
import { PING_COUNTER, pingCountersKey } from "./ping-counter-keys.js";
import { type PingIncrements, pingCounterOps, pingCounterProjection } from "./ping-counter-projection.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["pings"],
  });
  const tuning = readProcessorTuning(platform, ENV_PREFIX, PING_COUNTER);
  const redis = useRedis(platform);
  const dedup = {
    namespace: platform.config.stateNamespace,
    windowMs: platform.env.int(IDEMPOTENCY_WINDOW_VAR, DEFAULT_IDEMPOTENCY_WINDOW_MS, { min: 1_000 }),
  };
  const store = new RedisStateStore<PingIncrements>(
    redis,
    offsetsKey(platform.config.stateNamespace, PING_COUNTER),
    (chunks) => pingCounterOps(pingCountersKey(platform.config.stateNamespace), chunks, dedup),
  );
  await runProcessorService(platform, pingCounterProjection, store, tuning, () => redis.status === "ready");
});
