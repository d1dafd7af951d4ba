import type { Redis } from "ioredis";
import { TributaryError } from "../errors.js";
import type { OffsetConflict, PartitionChunk } from "../processor/offset-safe-store.js";
import type { TimerKeys } from "../processor/timer-logic.js";
import type { TimerChanges, TimerSnapshot, TimerStore } from "../processor/timer-task.js";
import { offsetField, RedisStateStore } from "./redis-state-store.js";

/**
 * Timers in Dragonfly/Redis: per partition a fixed set of bucket hashes (key → encoded value;
 * the deadline is part of the value, no sorted set), a hash of watermarks, and the offsets;
 * commits go through the one-script compare-and-set store, every bucket key declared.
 *
 * Buckets exist for the encoding: a hash of a few hundred short entries is a listpack in Redis
 * (`hash-max-listpack-entries` ≥ the bucket size, `hash-max-listpack-value` ≥ the value size),
 * ≈ 90 B an entry less than a hashtable entry.
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

  readPositions(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    return this.#store.readPositions(topic, partitions);
  }

  commit(chunks: readonly PartitionChunk<TimerChanges>[]): Promise<OffsetConflict[]> {
    return this.#store.commit(chunks);
  }

  async load(partition: number): Promise<TimerSnapshot> {
    const keys = this.#keys;
    // One MULTI: a consistent snapshot even if a previous owner commits during the hand-over.
    let multi = this.#redis
      .multi()
      .hget(keys.offsets, offsetField(this.#topic, partition))
      .hget(keys.watermarks, String(partition));
    const buckets = keys.timerBuckets(partition);
    for (const bucket of buckets) multi = multi.hgetall(bucket);
    if (keys.legacyTimers !== undefined) multi = multi.hgetall(keys.legacyTimers(partition));
    const replies = await multi.exec();
    if (replies === null) throw new TributaryError("unavailable", "state snapshot aborted", { canRetry: true });
    for (const [err] of replies) if (err) throw err;
    const stored = replies[0]?.[1] as string | null;
    const watermark = replies[1]?.[1] as string | null;
    const entriesOf = (reply: unknown) => {
      const values = (reply ?? {}) as Record<string, string>;
      const entries: { key: string; encoded: string }[] = [];
      for (const key in values) entries.push({ key, encoded: values[key] as string });
      return entries;
    };
    const entries = replies.slice(2, 2 + buckets.length).flatMap(([, reply]) => entriesOf(reply));
    const legacy = keys.legacyTimers === undefined ? [] : entriesOf(replies[2 + buckets.length]?.[1]);
    return {
      storedNext: stored === null ? null : Number(stored),
      maxEventMs: watermark === null ? null : Number(watermark),
      entries,
      ...(legacy.length === 0 ? {} : { legacy }),
    };
  }
}
