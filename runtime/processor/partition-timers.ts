import type { KeyValueOp } from "./core/key-value-op.js";
import { DeadlineHeap } from "./deadline-heap.js";
import type { TimerEntry, TimerKeys } from "./timer-logic.js";

interface Slot<V> {
  readonly entry: TimerEntry<V>;
  /** True when the store holds exactly this entry. */
  stored: boolean;
}

/**
 * In-memory mirror of one partition's timers, loaded from the store when the partition is
 * assigned. It tracks what changed since the last commit, so a commit writes only the net
 * difference: a Start and its Stop inside one flush cost no store operation at all.
 */
export class PartitionTimers<V> {
  readonly #slots = new Map<string, Slot<V>>();
  readonly #heap = new DeadlineHeap<TimerEntry<V>>();
  /** Stored entries removed or replaced since the last commit. */
  readonly #removed = new Map<string, TimerEntry<V>>();
  /** Keys whose entry is not in the store yet. */
  readonly #unstored = new Set<string>();

  /** A mirror of what the store holds. */
  static loaded<V>(entries: Iterable<TimerEntry<V>>): PartitionTimers<V> {
    const timers = new PartitionTimers<V>();
    for (const entry of entries) {
      timers.#slots.set(entry.key, { entry, stored: true });
      timers.#heap.push(entry.deadlineMs, entry);
    }
    return timers;
  }

  get size(): number {
    return this.#slots.size;
  }

  get dirty(): boolean {
    return this.#removed.size > 0 || this.#unstored.size > 0;
  }

  get(key: string): TimerEntry<V> | undefined {
    return this.#slots.get(key)?.entry;
  }

  set(entry: TimerEntry<V>): void {
    this.#forget(entry.key);
    this.#slots.set(entry.key, { entry, stored: false });
    this.#unstored.add(entry.key);
    this.#heap.push(entry.deadlineMs, entry);
  }

  /** Removes the timer; returns it, or undefined when there was none. */
  remove(key: string): TimerEntry<V> | undefined {
    const entry = this.#slots.get(key)?.entry;
    this.#forget(key);
    return entry;
  }

  /** Earliest deadline among live timers (stale heap items are dropped on the way). */
  nextDeadlineMs(): number | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined) return undefined;
      if (this.#slots.get(top.key)?.entry === top) return top.deadlineMs;
      this.#heap.pop();
    }
  }

  /** Removes and returns the earliest timer if its deadline is <= watermarkMs. */
  popDue(watermarkMs: number): TimerEntry<V> | undefined {
    const deadline = this.nextDeadlineMs();
    if (deadline === undefined || deadline > watermarkMs) return undefined;
    const entry = this.#heap.pop();
    if (entry !== undefined) this.#forget(entry.key);
    return entry;
  }

  /** Store operations that bring the store from its last committed state to this mirror. */
  ops(
    keys: TimerKeys,
    partition: number,
    encode: (value: V) => string,
    indexOps: (entry: TimerEntry<V>, change: "put" | "delete") => KeyValueOp[],
  ): KeyValueOp[] {
    const ops: KeyValueOp[] = [];
    const timersKey = keys.timers(partition);
    const deadlinesKey = keys.deadlines(partition);
    // Deletions first: a replaced entry's index field may be the one its successor writes again.
    for (const [key, old] of this.#removed) {
      ops.push(...indexOps(old, "delete"));
      if (!this.#unstored.has(key)) {
        ops.push({ op: "hdel", key: timersKey, field: key }, { op: "zrem", key: deadlinesKey, member: key });
      }
    }
    for (const key of this.#unstored) {
      const slot = this.#slots.get(key);
      if (slot === undefined) continue;
      ops.push(
        { op: "hset", key: timersKey, field: key, value: encode(slot.entry.value) },
        { op: "zadd", key: deadlinesKey, member: key, score: slot.entry.deadlineMs },
        ...indexOps(slot.entry, "put"),
      );
    }
    return ops;
  }

  /** The store now holds this mirror. */
  markCommitted(): void {
    for (const key of this.#unstored) {
      const slot = this.#slots.get(key);
      if (slot !== undefined) slot.stored = true;
    }
    this.#unstored.clear();
    this.#removed.clear();
  }

  #forget(key: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    if (slot.stored) this.#removed.set(key, slot.entry);
    this.#slots.delete(key);
    this.#unstored.delete(key);
  }
}
