/**
 * Store-neutral vocabulary of state changes on hashes, sorted sets and plain keys. Flows and
 * strategies describe their changes with it; a key-value store (Dragonfly/Redis) applies them
 * atomically with the offsets. Keeping it here means the processor core imports no store.
 */
export type KeyValueOp =
  | { readonly op: "hincrby"; readonly key: string; readonly field: string; readonly by: number }
  | { readonly op: "hset"; readonly key: string; readonly field: string; readonly value: string }
  | { readonly op: "hdel"; readonly key: string; readonly field: string }
  | { readonly op: "zadd"; readonly key: string; readonly member: string; readonly score: number }
  | { readonly op: "zrem"; readonly key: string; readonly member: string }
  | { readonly op: "del"; readonly key: string }
  | { readonly op: "set"; readonly key: string; readonly value: string }
  /**
   * Increments applied only the first time `field` is added to the hash `key` (HSETNX), which
   * then expires `ttlMs` after its last new field: deduplication atomic with the state it guards.
   */
  | {
      readonly op: "hincrby_once";
      readonly key: string;
      readonly field: string;
      readonly ttlMs: number;
      readonly increments: readonly { readonly key: string; readonly field: string; readonly by: number }[];
    };
