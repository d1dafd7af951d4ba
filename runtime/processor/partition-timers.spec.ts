import { describe, expect, it } from "vitest";
import { PartitionTimers, type TimerValueCodec } from "./partition-timers.js";
import type { TimerKeys } from "./timer-logic.js";

const keys: TimerKeys = {
  offsets: "o",
  timers: (p, key) => `t:${p}:${key.length % 2}`,
  timerBuckets: (p) => [`t:${p}:0`, `t:${p}:1`],
  watermarks: "w",
};
/** Values "<name>@<deadline>": the deadline is read from the value, as the store requires. */
const codec: TimerValueCodec<string> = {
  encode: (v) => v,
  decode: (s) => s,
  deadlineOf: (s) => Number(s.split("@")[1]),
};
const noIndex = () => [];
const entry = (key: string, deadlineMs: number, name = key) => ({ key, value: `${name}@${deadlineMs}`, deadlineMs });
const stored = (key: string, deadlineMs: number, name = key) => ({
  key,
  encoded: `${name}@${deadlineMs}`,
  deadlineMs,
});

describe("PartitionTimers", () => {
  it("writes nothing for a timer set and removed between two commits", () => {
    const timers = PartitionTimers.loaded(codec, []);
    timers.set(entry("a", 10));
    timers.remove("a");
    expect(timers.ops(keys, 0, noIndex)).toEqual([]);
  });

  it("writes puts for new timers and deletes for removed stored ones, in their buckets", () => {
    const timers = PartitionTimers.loaded(codec, [stored("old", 5)]);
    timers.set(entry("new2", 7));
    expect(timers.remove("old")).toBe(true);
    expect(timers.remove("old")).toBe(false);
    expect(timers.ops(keys, 3, noIndex)).toEqual([
      { op: "hdel", key: "t:3:1", field: "old" },
      { op: "hset", key: "t:3:0", field: "new2", value: "new2@7" },
    ]);
    timers.markCommitted();
    expect(timers.ops(keys, 3, noIndex)).toEqual([]);
    expect(timers.dirty).toBe(false);
  });

  it("replaces a stored timer: index delete of the old entry (decoded), then the new entry", () => {
    const timers = PartitionTimers.loaded(codec, [stored("a", 5, "v1")]);
    timers.set(entry("a", 9, "v2"));
    const ops = timers.ops(keys, 0, (e, change) => [{ op: "set", key: `${change}:${e.value}`, value: "" }]);
    expect(ops).toEqual([
      { op: "set", key: "delete:v1@5", value: "" },
      { op: "hset", key: "t:0:1", field: "a", value: "v2@9" },
      { op: "set", key: "put:v2@9", value: "" },
    ]);
  });

  it("reads committed timers back decoded, with the deadline of their value", () => {
    const timers = PartitionTimers.loaded(codec, [stored("a", 5)]);
    timers.set(entry("b", 8));
    timers.markCommitted();
    expect(timers.get("a")).toEqual({ key: "a", value: "a@5", deadlineMs: 5 });
    expect(timers.get("b")).toEqual({ key: "b", value: "b@8", deadlineMs: 8 });
    expect(timers.take("b")).toEqual({ key: "b", value: "b@8", deadlineMs: 8 });
    expect(timers.get("b")).toBeUndefined();
    expect(timers.size).toBe(1);
  });

  it("pops due timers in deadline order and skips replaced ones", () => {
    const timers = PartitionTimers.loaded(codec, [stored("a", 30), stored("b", 10)]);
    timers.set(entry("b", 40));
    timers.set(entry("c", 20));
    expect(timers.nextDeadlineMs()).toBe(20);
    expect(timers.popDue(35)?.key).toBe("c");
    expect(timers.popDue(35)?.key).toBe("a");
    expect(timers.popDue(35)).toBeUndefined();
    expect(timers.size).toBe(1);
    expect(timers.popDue(40)).toEqual({ key: "b", value: "b@40", deadlineMs: 40 });
  });

  it("drops a stored value that no longer decodes, reporting it, and pops the next", () => {
    const bad: string[] = [];
    const strict: TimerValueCodec<string> = {
      ...codec,
      decode: (s) => {
        if (s.startsWith("bad")) throw new Error("undecodable");
        return s;
      },
      onUndecodable: (key) => bad.push(key),
    };
    const timers = PartitionTimers.loaded(strict, [stored("x", 1, "bad"), stored("y", 2)]);
    expect(timers.popDue(10)?.key).toBe("y");
    expect(bad).toEqual(["x"]);
    expect(timers.size).toBe(0);
  });
});
