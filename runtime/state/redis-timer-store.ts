import type { Redis } from "ioredis";
import { TributaryError } from "../errors.js";
import type { OffsetConflict, PartitionChunk } from "../processor/offset-safe-store.js";
import type { TimerKeys } from "../processor/timer-logic.js";
import type { TimerChanges, TimerSnapshot, TimerStore } from "../processor/timer-task.js";
import { offsetField, RedisStateStore } from "./redis-state-store.js";

/**
 * Timers in Dragonfly/Redis: per partition a hash of values and a sorted set of deadlines, a hash
 * of watermarks, and the offsets; commits go through the one-script compare-and-set store.
 */
export class RedisTimerStore implements TimerStore {
  readonly #redis: Redis;
  readonly #keys: TimerKeys;
  readonly #topic: string;
  readonly #store: RedisStateStore<TimerChanges>;

  constructor(redis: Redis, keys: TimerKeys, physicalTopic: string) {
    this.#redis = redis;
    this.#keys = keys;
    this.#topic = physicalTopic;
    this.#store = new RedisStateStore<TimerChanges>(redis, keys.offsets, (chunks) =>
      chunks.flatMap((c) => c.batch.ops),
    );
  }

  readNext(topic: string, partition: number): Promise<number | null> {
    return this.#store.readNext(topic, partition);
  }

  commit(chunks: readonly PartitionChunk<TimerChanges>[]): Promise<OffsetConflict[]> {
    return this.#store.commit(chunks);
  }

  async load(partition: number): Promise<TimerSnapshot> {
    const keys = this.#keys;
    // One MULTI: a consistent snapshot even if a previous owner commits during the hand-over.
    const replies = await this.#redis
      .multi()
      .hget(keys.offsets, offsetField(this.#topic, partition))
      .hget(keys.watermarks, String(partition))
      .hgetall(keys.timers(partition))
      .zrange(keys.deadlines(partition), 0, -1, "WITHSCORES")
      .exec();
    if (replies === null) throw new TributaryError("unavailable", "state snapshot aborted", { canRetry: true });
    for (const [err] of replies) if (err) throw err;
    const stored = replies[0]?.[1] as string | null;
    const watermark = replies[1]?.[1] as string | null;
    const values = (replies[2]?.[1] ?? {}) as Record<string, string>;
    const deadlines = (replies[3]?.[1] ?? []) as string[];
    const entries: { key: string; encoded: string; deadlineMs: number }[] = [];
    for (let i = 0; i + 1 < deadlines.length; i += 2) {
      const key = deadlines[i] as string;
      const encoded = values[key];
      // A deadline without its value cannot fire anything meaningful: dropped.
      if (encoded !== undefined) entries.push({ key, encoded, deadlineMs: Number(deadlines[i + 1]) });
    }
    return {
      storedNext: stored === null ? null : Number(stored),
      maxEventMs: watermark === null ? null : Number(watermark),
      entries,
    };
  }
}
