import type { Redis } from "ioredis";
import { redisReplayTarget } from "../../runtime/replay/redis-replay-target.js";
import type { AnyReplayTarget } from "../../runtime/replay/replay-target.js";
import { offsetsKey, RedisStateStore } from "../../runtime/state/redis-state-store.js";
import { DEFAULT_IDEMPOTENCY_WINDOW_MS } from "./config.js";
import { PING_COUNTER, pingCountersKey } from "./ping-counter-keys.js";
import { type PingIncrements, pingCounterOps, pingCounterProjection } from "./ping-counter-projection.js";

/** `tributary replay ping-counter`: rebuilds ping:counters under a fresh key prefix, then renames it over the live hash. */
export function pingCounterReplayTarget(options: { redis: Redis; liveNamespace: string }): AnyReplayTarget {
  return redisReplayTarget<PingIncrements>({
    projection: pingCounterProjection,
    redis: options.redis,
    liveNamespace: options.liveNamespace,
    keys: (namespace) => ({ offsets: offsetsKey(namespace, PING_COUNTER), state: [pingCountersKey(namespace)] }),
    store: (redis, namespace) =>
      new RedisStateStore<PingIncrements>(redis, offsetsKey(namespace, PING_COUNTER), (chunks) =>
        // Seen ids rebuilt under the replay's namespace: duplicates in the log count once, as live.
        pingCounterOps(pingCountersKey(namespace), chunks, { namespace, windowMs: DEFAULT_IDEMPOTENCY_WINDOW_MS }),
      ),
  }) as AnyReplayTarget;
}
