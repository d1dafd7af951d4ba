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

  commit(chunks: readonly PartitionChunk<TimerChanges>[]): Promise<OffsetConflict[]> {
    return this.offsets.commit(chunks);
  }

  async load(partition: number): Promise<TimerSnapshot> {
    const values = this.kv.hashes.get(this.#keys.timers(partition)) ?? new Map<string, string>();
    const watermark = this.kv.hget(this.#keys.watermarks, String(partition));
    return {
      storedNext: await this.offsets.readNext(this.#topic, partition),
      maxEventMs: watermark === null ? null : Number(watermark),
      entries: this.kv.zrange(this.#keys.deadlines(partition)).flatMap(([key, deadlineMs]) => {
        const encoded = values.get(key);
        return encoded === undefined ? [] : [{ key, encoded, deadlineMs }];
      }),
    };
  }
}
