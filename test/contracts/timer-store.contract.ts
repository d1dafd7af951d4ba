import { describe, expect, it } from "vitest";
import { bucketOf } from "../../runtime/processor/timer-buckets.js";
import type { TimerKeys } from "../../runtime/processor/timer-logic.js";
import type { TimerStore } from "../../runtime/processor/timer-task.js";

export function contractTimerKeys(prefix: string): TimerKeys {
  return {
    offsets: `${prefix}:offsets`,
    timers: (p, key) => `${prefix}:timers:${p}:${bucketOf(key, 4)}`,
    timerBuckets: (p) => [0, 1, 2, 3].map((b) => `${prefix}:timers:${p}:${b}`),
    watermarks: `${prefix}:watermarks`,
  };
}

/**
 * What the timer strategy relies on: a snapshot read returns exactly what the last commit left
 * (every value, across buckets, the watermark, the offset), and a refused commit changes nothing.
 */
export function describeTimerStore(
  name: string,
  open: () => Promise<{ store: TimerStore; keys: TimerKeys; topic: string; close?: () => Promise<void> }>,
): void {
  describe(`${name} honours the timer store contract`, () => {
    it("reads back the committed timers, watermark and offset in one snapshot", async () => {
      const { store, keys, topic, close } = await open();
      try {
        expect(await store.load(0)).toEqual({ storedNext: null, maxEventMs: null, entries: [] });
        const ops = [
          { op: "hset", key: keys.timers(0, "b"), field: "b", value: "B" },
          { op: "hset", key: keys.timers(0, "a"), field: "a", value: "A" },
          { op: "hset", key: keys.timers(0, "c"), field: "c", value: "C" },
          { op: "hset", key: keys.watermarks, field: "0", value: "1500" },
        ] as const;
        const chunk = {
          topic,
          partition: 0,
          expectedNext: null,
          nextOffset: 3,
          batch: { ops, outputs: [] },
          records: 3,
        };
        expect(await store.commit([chunk])).toEqual([]);
        const loaded = await store.load(0);
        expect({ ...loaded, entries: [...loaded.entries].sort((x, y) => x.key.localeCompare(y.key)) }).toEqual({
          storedNext: 3,
          maxEventMs: 1_500,
          entries: [
            { key: "a", encoded: "A" },
            { key: "b", encoded: "B" },
            { key: "c", encoded: "C" },
          ],
        });
        expect((await store.load(1)).entries).toEqual([]);
        const stale = {
          ...chunk,
          batch: { ops: [{ op: "hdel", key: keys.timers(0, "a"), field: "a" }] as const, outputs: [] },
        };
        expect(await store.commit([stale])).toHaveLength(1);
        expect((await store.load(0)).entries).toHaveLength(3);
      } finally {
        await close?.();
      }
    });
  });
}
