import type { AnyReplayTarget } from "../runtime/replay/replay-target.js";
import { offsetsKey, RedisStateStore } from "../runtime/state/redis-state-store.js";
import { PING_COUNTER, pingCountersKey } from "./ping-counter/ping-counter-keys.js";
import { type PingIncrements, pingCounterOps, pingCounterProjection } from "./ping-counter/ping-counter-projection.js";

/** Processors `tributary replay <name>` can rebuild. */
export const replayTargets: Record<string, AnyReplayTarget> = {
  [PING_COUNTER]: {
    projection: pingCounterProjection,
    keys: (namespace) => ({ offsets: offsetsKey(namespace, PING_COUNTER), state: [pingCountersKey(namespace)] }),
    store: (redis, namespace) =>
      new RedisStateStore<PingIncrements>(redis, offsetsKey(namespace, PING_COUNTER), (chunks) =>
        pingCounterOps(pingCountersKey(namespace), chunks),
      ),
  } as AnyReplayTarget,
};
