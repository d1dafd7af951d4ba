import { describe, expect, it } from "vitest";
import type { TimerKeys } from "../../runtime/processor/timer-logic.js";
import type { TimerStore } from "../../runtime/processor/timer-task.js";

export function contractTimerKeys(prefix: string): TimerKeys {
  return {
    offsets: `${prefix}:offsets`,
    timers: (p) => `${prefix}:timers:${p}`,
    deadlines: (p) => `${prefix}:deadlines:${p}`,
    watermarks: `${prefix}:watermarks`,
  };
}

/**
 * What the timer strategy relies on: a snapshot read returns exactly what the last commit left
 * (values, deadlines in order, watermark, offset), and a refused commit changes nothing.
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
          { op: "hset", key: keys.timers(0), field: "b", value: "B" },
          { op: "zadd", key: keys.deadlines(0), member: "b", score: 2_000 },
          { op: "hset", key: keys.timers(0), field: "a", value: "A" },
          { op: "zadd", key: keys.deadlines(0), member: "a", score: 1_000 },
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
        expect(await store.load(0)).toEqual({
          storedNext: 3,
          maxEventMs: 1_500,
          entries: [
            { key: "a", encoded: "A", deadlineMs: 1_000 },
            { key: "b", encoded: "B", deadlineMs: 2_000 },
          ],
        });
        expect((await store.load(1)).entries).toEqual([]);
        const stale = {
          ...chunk,
          batch: { ops: [{ op: "hdel", key: keys.timers(0), field: "a" }] as const, outputs: [] },
        };
        expect(await store.commit([stale])).toHaveLength(1);
        expect((await store.load(0)).entries).toHaveLength(2);
      } finally {
        await close?.();
      }
    });
  });
}
