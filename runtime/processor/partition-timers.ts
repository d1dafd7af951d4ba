import type { KeyValueOp } from "./core/key-value-op.js";
import { TimerHeap } from "./timer-heap.js";
import type { TimerEntry, TimerKeys } from "./timer-logic.js";

/** How the mirror turns values into the store's text and back. */
export interface TimerValueCodec<V> {
  encode(value: V): string;
  decode(encoded: string, key: string): V;
  /** The deadline of an encoded value (equal to the one it was set with). */
  deadlineOf(encoded: string, key: string): number;
  /** A stored value that no longer decodes: it is dropped (the caller logs it). */
  onUndecodable?(key: string, err: unknown): void;
}

/** A stored timer as loaded: its encoded value and the deadline read from it. */
export interface LoadedTimer {
  readonly key: string;
  readonly encoded: string;
  readonly deadlineMs: number;
}

/**
 * In-memory mirror of one partition's timers, loaded from the store when the partition is
 * assigned. It tracks what changed since the last commit, so a commit writes only the net
 * difference: a Start and its Stop inside one flush cost no store operation at all.
 *
 * Compact (issue 14: 1M pending timers in one process): committed timers are kept as their
 * encoded store values (one string each) and decoded when read, fired or removed; only timers
 * set since the last commit also keep their decoded value. Deadlines live in a heap of numbers.
 * The contract this relies on: a timer's deadline is a function of its encoded value (the
 * logic's `deadlineOf`), so a key whose current value equals a heap item's is that item's timer.
 */
export class PartitionTimers<V> {
  readonly #codec: TimerValueCodec<V>;
  /** Key → encoded value of every live timer. */
  readonly #values = new Map<string, string>();
  readonly #heap = new TimerHeap();
  /** Stored entries removed or replaced since the last commit: key → the stored encoded value. */
  readonly #removed = new Map<string, string>();
  /** Timers not in the store yet, with their decoded values (for the index ops). */
  readonly #unstored = new Map<string, TimerEntry<V>>();

  constructor(codec: TimerValueCodec<V>) {
    this.#codec = codec;
  }

  /** A mirror of what the store holds. */
  static loaded<V>(codec: TimerValueCodec<V>, entries: Iterable<LoadedTimer>): PartitionTimers<V> {
    const timers = new PartitionTimers<V>(codec);
    for (const { key, encoded, deadlineMs } of entries) {
      timers.#values.set(key, encoded);
      timers.#heap.push(deadlineMs, key, encoded);
    }
    return timers;
  }

  get size(): number {
    return this.#values.size;
  }

  get dirty(): boolean {
    return this.#removed.size > 0 || this.#unstored.size > 0;
  }

  get(key: string): TimerEntry<V> | undefined {
    const unstored = this.#unstored.get(key);
    if (unstored !== undefined) return unstored;
    const encoded = this.#values.get(key);
    if (encoded === undefined) return undefined;
    const value = this.#decode(key, encoded);
    if (value === undefined) {
      this.#forget(key);
      return undefined;
    }
    return { key, value: value.value, deadlineMs: this.#codec.deadlineOf(encoded, key) };
  }

  set(entry: TimerEntry<V>): void {
    this.#forget(entry.key);
    const encoded = this.#codec.encode(entry.value);
    this.#values.set(entry.key, encoded);
    this.#unstored.set(entry.key, entry);
    this.#heap.push(entry.deadlineMs, entry.key, encoded);
  }

  /** Removes the timer without reading it; false when there was none. */
  remove(key: string): boolean {
    const had = this.#values.has(key);
    this.#forget(key);
    return had;
  }

  /** Removes the timer; returns it (decoded), or undefined when there was none. */
  take(key: string): TimerEntry<V> | undefined {
    const entry = this.get(key);
    this.#forget(key);
    return entry;
  }

  /** Earliest deadline among live timers (stale heap items are dropped on the way). */
  nextDeadlineMs(): number | undefined {
    for (;;) {
      const key = this.#heap.peekKey();
      if (key === undefined) return undefined;
      if (this.#values.get(key) === this.#heap.peekRef()) return this.#heap.peekDueMs();
      this.#heap.pop();
    }
  }

  /** Removes and returns the earliest timer if its deadline is <= watermarkMs. */
  popDue(watermarkMs: number): TimerEntry<V> | undefined {
    for (;;) {
      const deadlineMs = this.nextDeadlineMs();
      if (deadlineMs === undefined || deadlineMs > watermarkMs) return undefined;
      const key = this.#heap.peekKey() as string;
      this.#heap.pop();
      const entry = this.get(key);
      this.#forget(key);
      // An undecodable value was dropped by `get`: look at the next one.
      if (entry !== undefined) return { ...entry, deadlineMs };
    }
  }

  /** Store operations that bring the store from its last committed state to this mirror. */
  ops(
    keys: TimerKeys,
    partition: number,
    indexOps: (entry: TimerEntry<V>, change: "put" | "delete") => KeyValueOp[],
  ): KeyValueOp[] {
    const ops: KeyValueOp[] = [];
    // Deletions first: a replaced entry's index field may be the one its successor writes again.
    for (const [key, encoded] of this.#removed) {
      const old = this.#decode(key, encoded);
      if (old !== undefined) ops.push(...indexOps({ key, value: old.value, deadlineMs: 0 }, "delete"));
      if (!this.#unstored.has(key)) ops.push({ op: "hdel", key: keys.timers(partition, key), field: key });
    }
    for (const [key, entry] of this.#unstored) {
      const value = this.#values.get(key);
      if (value === undefined) continue;
      ops.push({ op: "hset", key: keys.timers(partition, key), field: key, value }, ...indexOps(entry, "put"));
    }
    return ops;
  }

  /** The store now holds this mirror. */
  markCommitted(): void {
    this.#unstored.clear();
    this.#removed.clear();
  }

  #decode(key: string, encoded: string): { value: V } | undefined {
    try {
      return { value: this.#codec.decode(encoded, key) };
    } catch (err) {
      this.#codec.onUndecodable?.(key, err);
      return undefined;
    }
  }

  #forget(key: string): void {
    const encoded = this.#values.get(key);
    if (encoded === undefined) return;
    if (!this.#unstored.has(key)) this.#removed.set(key, encoded);
    this.#values.delete(key);
    this.#unstored.delete(key);
  }
}
