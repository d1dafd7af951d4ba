import type { OffsetConflict, PartitionChunk } from "../offset-safe-store.js";
import type { TimerKeys } from "../timer-logic.js";
import type { TimerChanges, TimerSnapshot, TimerStore } from "../timer-task.js";
import { InMemoryKeyValue, InMemoryOffsetStore } from "./in-memory-store.js";

/** Timers in memory, with the Redis timer store's layout and semantics. */
export class InMemoryTimerStore implements TimerStore {
  readonly kv = new InMemoryKeyValue();
  readonly offsets: InMemoryOffsetStore<TimerChanges>;
  readonly #keys: TimerKeys;
  readonly #topic: string;

  constructor(keys: TimerKeys, physicalTopic: string) {
    this.#keys = keys;
    this.#topic = physicalTopic;
    this.offsets = new InMemoryOffsetStore<TimerChanges>((chunks) => this.kv.apply(chunks.flatMap((c) => c.batch.ops)));
  }

  readNext(topic: string, partition: number): Promise<number | null> {
    return this.offsets.readNext(topic, partition);
  }

  readPositions(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    return this.offsets.readPositions(topic, partitions);
  }

  commit(chunks: readonly PartitionChunk<TimerChanges>[]): Promise<OffsetConflict[]> {
    return this.offsets.commit(chunks);
  }

  /** Every stored timer of a partition, key → encoded value, across its buckets. */
  timers(partition: number): Map<string, string> {
    const all = new Map<string, string>();
    for (const bucket of this.#keys.timerBuckets(partition)) {
      for (const [key, encoded] of this.kv.hashes.get(bucket) ?? []) all.set(key, encoded);
    }
    return all;
  }

  async load(partition: number): Promise<TimerSnapshot> {
    const watermark = this.kv.hget(this.#keys.watermarks, String(partition));
    const legacyKey = this.#keys.legacyTimers?.(partition);
    const legacy = [...((legacyKey === undefined ? undefined : this.kv.hashes.get(legacyKey)) ?? [])].map(
      ([key, encoded]) => ({ key, encoded }),
    );
    return {
      storedNext: await this.offsets.readNext(this.#topic, partition),
      maxEventMs: watermark === null ? null : Number(watermark),
      entries: [...this.timers(partition)].map(([key, encoded]) => ({ key, encoded })),
      ...(legacy.length === 0 ? {} : { legacy }),
    };
  }
}
