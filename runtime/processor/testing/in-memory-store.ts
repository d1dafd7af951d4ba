import type { KeyValueOp } from "../core/key-value-op.js";
import type { OffsetConflict, OffsetSafeStore, PartitionChunk } from "../offset-safe-store.js";

/**
 * An offset-safe store in memory with the real stores' semantics (passes the same contract
 * spec): commit is all-or-nothing and compare-and-set on every chunk's offsets; a conflict
 * applies nothing and reports the stored positions.
 */
export class InMemoryOffsetStore<B> implements OffsetSafeStore<B> {
  readonly offsets = new Map<string, number>();
  readonly #apply: (chunks: readonly PartitionChunk<B>[]) => void;
  /** Commits that throw without writing (the next N): a store outage. */
  failNextCommits = 0;
  commits = 0;
  /** readPositions calls (specs check the core reads once per check, not per partition). */
  positionReads = 0;

  constructor(apply: (chunks: readonly PartitionChunk<B>[]) => void) {
    this.#apply = apply;
  }

  async readNext(topic: string, partition: number): Promise<number | null> {
    return this.offsets.get(`${topic}:${partition}`) ?? null;
  }

  async readPositions(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const positions = new Map<number, number>();
    for (const p of partitions) {
      const next = this.offsets.get(`${topic}:${p}`);
      if (next !== undefined) positions.set(p, next);
    }
    this.positionReads += 1;
    return positions;
  }

  async commit(chunks: readonly PartitionChunk<B>[]): Promise<OffsetConflict[]> {
    if (this.failNextCommits > 0) {
      this.failNextCommits -= 1;
      throw new Error("in-memory store: commit failed (injected)");
    }
    const conflicts: OffsetConflict[] = [];
    for (const c of chunks) {
      const stored = this.offsets.get(`${c.topic}:${c.partition}`) ?? null;
      if (stored !== c.expectedNext) conflicts.push({ topic: c.topic, partition: c.partition, storedNext: stored });
    }
    if (conflicts.length > 0) return conflicts;
    this.#apply(chunks);
    for (const c of chunks) this.offsets.set(`${c.topic}:${c.partition}`, c.nextOffset);
    this.commits += 1;
    return [];
  }
}

/** Hashes, sorted sets and strings in memory, changed by KeyValueOps (a Dragonfly stand-in). */
export class InMemoryKeyValue {
  readonly hashes = new Map<string, Map<string, string>>();
  readonly sortedSets = new Map<string, Map<string, number>>();
  readonly strings = new Map<string, string>();

  #hash(key: string): Map<string, string> {
    const h = this.hashes.get(key) ?? new Map<string, string>();
    this.hashes.set(key, h);
    return h;
  }

  #zset(key: string): Map<string, number> {
    const z = this.sortedSets.get(key) ?? new Map<string, number>();
    this.sortedSets.set(key, z);
    return z;
  }

  apply(ops: readonly KeyValueOp[]): void {
    for (const op of ops) {
      switch (op.op) {
        case "hincrby": {
          const h = this.#hash(op.key);
          h.set(op.field, String(Number(h.get(op.field) ?? "0") + op.by));
          break;
        }
        case "hset":
          this.#hash(op.key).set(op.field, op.value);
          break;
        case "hdel":
          this.hashes.get(op.key)?.delete(op.field);
          break;
        case "zadd":
          this.#zset(op.key).set(op.member, op.score);
          break;
        case "zrem":
          this.sortedSets.get(op.key)?.delete(op.member);
          break;
        case "del":
          this.hashes.delete(op.key);
          this.sortedSets.delete(op.key);
          this.strings.delete(op.key);
          break;
        case "set":
          this.strings.set(op.key, op.value);
          break;
        case "hincrby_once": {
          const seen = this.#hash(op.key);
          if (seen.has(op.field)) break;
          seen.set(op.field, "1");
          for (const inc of op.increments) {
            const h = this.#hash(inc.key);
            h.set(inc.field, String(Number(h.get(inc.field) ?? "0") + inc.by));
          }
          break;
        }
      }
    }
  }

  hget(key: string, field: string): string | null {
    return this.hashes.get(key)?.get(field) ?? null;
  }

  /** Members with scores, lowest score first. */
  zrange(key: string): [string, number][] {
    return [...(this.sortedSets.get(key) ?? new Map<string, number>())].sort((a, b) => a[1] - b[1]);
  }
}
