import type { Redis } from "ioredis";
import type { OffsetSafeStore } from "../processor/offset-safe-store.js";
import type { Projection } from "../processor/projection.js";
import { SWITCH_SCRIPT } from "../state/redis-commit-script.js";
import type { ReplayTarget } from "./replay-target.js";

export interface RedisReplayOptions<B> {
  // biome-ignore lint/suspicious/noExplicitAny: projections are generic over their message type
  readonly projection: Projection<any, B>;
  readonly redis: Redis;
  /** The deployment's STATE_NAMESPACE: the live keys. */
  readonly liveNamespace: string;
  /** The processor's keys in a namespace: its offsets hash and its state keys. */
  keys(namespace: string): { readonly offsets: string; readonly state: readonly string[] };
  store(redis: Redis, namespace: string): OffsetSafeStore<B>;
}

/** Rebuilds into `<live>replay:<id>:` keys; the switch renames them over the live keys in one Lua script. */
export function redisReplayTarget<B>(options: RedisReplayOptions<B>): ReplayTarget<B> {
  const { redis, liveNamespace } = options;
  return {
    projection: options.projection,
    open: async (replayId) => {
      const namespace = `${liveNamespace}replay:${replayId}:`;
      const rebuilt = options.keys(namespace);
      return {
        store: options.store(redis, namespace),
        switchOver: async () => {
          const live = options.keys(liveNamespace);
          const pairs = [
            rebuilt.offsets,
            live.offsets,
            ...rebuilt.state.flatMap((key, i) => [key, live.state[i] ?? key]),
          ];
          await redis.eval(SWITCH_SCRIPT, pairs.length, ...pairs);
        },
        discard: async () => {
          await redis.del(rebuilt.offsets, ...rebuilt.state);
        },
      };
    },
  };
}
