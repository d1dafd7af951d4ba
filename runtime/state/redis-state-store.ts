import type { Redis } from "ioredis";
import type { KeyValueOp } from "../processor/core/key-value-op.js";
import type { OffsetConflict, OffsetSafeStore, PartitionChunk } from "../processor/offset-safe-store.js";
import { COMMIT_SCRIPT } from "./redis-commit-script.js";

/** The store-neutral op vocabulary, applied here by the commit script. */
export type RedisOp = KeyValueOp;

/** Keys of a processor's state in one namespace ("" is live; replays use `replay:<id>:`). */
export function offsetsKey(namespace: string, processor: string): string {
  return `${namespace}tributary:offsets:${processor}`;
}

export function offsetField(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * Offset-safe store in Dragonfly/Redis: chunks become Redis ops, applied with the offsets by one
 * Lua script (compare-and-set on the offsets, all keys declared).
 */
export class RedisStateStore<B> implements OffsetSafeStore<B> {
  readonly #redis: Redis;
  readonly #offsetsKey: string;
  readonly #opsOf: (chunks: readonly PartitionChunk<B>[]) => RedisOp[];

  constructor(redis: Redis, offsetsKeyName: string, opsOf: (chunks: readonly PartitionChunk<B>[]) => RedisOp[]) {
    this.#redis = redis;
    this.#offsetsKey = offsetsKeyName;
    this.#opsOf = opsOf;
  }

  async readNext(topic: string, partition: number): Promise<number | null> {
    const value = await this.#redis.hget(this.#offsetsKey, offsetField(topic, partition));
    return value === null ? null : Number(value);
  }

  async readPositions(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const positions = new Map<number, number>();
    if (partitions.length === 0) return positions;
    const values = await this.#redis.hmget(this.#offsetsKey, ...partitions.map((p) => offsetField(topic, p)));
    partitions.forEach((p, i) => {
      const value = values[i];
      if (value !== null && value !== undefined) positions.set(p, Number(value));
    });
    return positions;
  }

  async commit(chunks: readonly PartitionChunk<B>[]): Promise<OffsetConflict[]> {
    const ops = this.#opsOf(chunks);
    const keys = [this.#offsetsKey];
    const keyIndex = new Map<string, number>();
    const indexOf = (key: string): number => {
      let i = keyIndex.get(key);
      if (i === undefined) {
        keys.push(key);
        i = keys.length;
        keyIndex.set(key, i);
      }
      return i;
    };
    const encodedOps = ops.map((op): (string | number)[] => {
      switch (op.op) {
        case "hincrby":
          return [op.op, indexOf(op.key), op.field, String(op.by)];
        case "hset":
          return [op.op, indexOf(op.key), op.field, op.value];
        case "hdel":
          return [op.op, indexOf(op.key), op.field];
        case "zadd":
          return [op.op, indexOf(op.key), op.member, String(op.score)];
        case "zrem":
          return [op.op, indexOf(op.key), op.member];
        case "del":
          return [op.op, indexOf(op.key)];
        case "hincrby_once":
          return [
            op.op,
            indexOf(op.key),
            op.field,
            String(op.ttlMs),
            ...op.increments.flatMap((inc) => [indexOf(inc.key), inc.field, String(inc.by)]),
          ];
        default:
          return [op.op, indexOf(op.key), op.value];
      }
    });
    const offsets = chunks.map((c) => [
      offsetField(c.topic, c.partition),
      c.expectedNext === null ? "" : String(c.expectedNext),
      String(c.nextOffset),
    ]);
    const result = (await this.#redis.eval(
      COMMIT_SCRIPT,
      keys.length,
      ...keys,
      JSON.stringify(offsets),
      JSON.stringify(encodedOps),
    )) as string[];
    const conflicts: OffsetConflict[] = [];
    for (let i = 0; i < result.length; i += 2) {
      const field = result[i] ?? "";
      const stored = result[i + 1] ?? "";
      const chunk = chunks.find((c) => offsetField(c.topic, c.partition) === field);
      if (chunk)
        conflicts.push({
          topic: chunk.topic,
          partition: chunk.partition,
          storedNext: stored === "" ? null : Number(stored),
        });
    }
    return conflicts;
  }
}
