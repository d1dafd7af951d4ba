import type { Redis } from "ioredis";
import { PING_COUNTER, pingCountersKey } from "../processors/ping-counter/ping-counter-keys.js";
import {
  type PingIncrements,
  pingCounterOps,
  pingCounterProjection,
} from "../processors/ping-counter/ping-counter-projection.js";
import type { Logger } from "../runtime/observability/logger.js";
import { pgReplayTarget } from "../runtime/replay/pg-replay-target.js";
import { redisReplayTarget } from "../runtime/replay/redis-replay-target.js";
import type { AnyReplayTarget } from "../runtime/replay/replay-target.js";
import { migrationsDir } from "../runtime/state/pg-pool.js";
import { offsetsKey, RedisStateStore } from "../runtime/state/redis-state-store.js";
import { insertPings, PINGS_SINK, pingsSinkProjection } from "../sinks/pings/pings-sink.js";

export interface ReplayContext {
  redis(): Redis;
  readonly liveNamespace: string;
  readonly databaseUrl: string;
  readonly log: Logger;
  /** Consumer group of the live processor, whose stored offsets the switch replaces. */
  groupOf(processor: string): string;
}

/** Processors `tributary replay <name>` can rebuild. */
export const replayTargetNames = [PING_COUNTER, PINGS_SINK] as const;

export function replayTarget(name: string, ctx: ReplayContext): AnyReplayTarget | undefined {
  if (name === PING_COUNTER) {
    return redisReplayTarget<PingIncrements>({
      projection: pingCounterProjection,
      redis: ctx.redis(),
      liveNamespace: ctx.liveNamespace,
      keys: (namespace) => ({ offsets: offsetsKey(namespace, PING_COUNTER), state: [pingCountersKey(namespace)] }),
      store: (redis, namespace) =>
        new RedisStateStore<PingIncrements>(redis, offsetsKey(namespace, PING_COUNTER), (chunks) =>
          pingCounterOps(pingCountersKey(namespace), chunks),
        ),
    }) as AnyReplayTarget;
  }
  if (name === PINGS_SINK) {
    return pgReplayTarget({
      projection: pingsSinkProjection,
      databaseUrl: ctx.databaseUrl,
      migrationsDir: migrationsDir(),
      consumer: ctx.groupOf(PINGS_SINK),
      tables: ["pings"],
      apply: insertPings,
      log: ctx.log,
    }) as AnyReplayTarget;
  }
  return undefined;
}
