import { describe, expect, it } from "vitest";
import { PartitionTimers } from "./partition-timers.js";
import type { TimerKeys } from "./timer-logic.js";

const keys: TimerKeys = {
  offsets: "o",
  timers: (p) => `t:${p}`,
  deadlines: (p) => `d:${p}`,
  watermarks: "w",
};
const noIndex = () => [];
const entry = (key: string, deadlineMs: number, value = key) => ({ key, value, deadlineMs });

describe("PartitionTimers", () => {
  it("writes nothing for a timer set and removed between two commits", () => {
    const timers = PartitionTimers.loaded<string>([]);
    timers.set(entry("a", 10));
    timers.remove("a");
    expect(timers.ops(keys, 0, String, noIndex)).toEqual([]);
  });

  it("writes puts for new timers and deletes for removed stored ones", () => {
    const timers = PartitionTimers.loaded<string>([entry("old", 5)]);
    timers.set(entry("new", 7));
    timers.remove("old");
    expect(timers.ops(keys, 3, String, noIndex)).toEqual([
      { op: "hdel", key: "t:3", field: "old" },
      { op: "zrem", key: "d:3", member: "old" },
      { op: "hset", key: "t:3", field: "new", value: "new" },
      { op: "zadd", key: "d:3", member: "new", score: 7 },
    ]);
    timers.markCommitted();
    expect(timers.ops(keys, 3, String, noIndex)).toEqual([]);
    expect(timers.dirty).toBe(false);
  });

  it("replaces a stored timer: index delete of the old entry, then the new entry", () => {
    const timers = PartitionTimers.loaded<string>([entry("a", 5, "v1")]);
    timers.set(entry("a", 9, "v2"));
    const ops = timers.ops(keys, 0, String, (e, change) => [{ op: "set", key: `${change}:${e.value}`, value: "" }]);
    expect(ops).toEqual([
      { op: "set", key: "delete:v1", value: "" },
      { op: "hset", key: "t:0", field: "a", value: "v2" },
      { op: "zadd", key: "d:0", member: "a", score: 9 },
      { op: "set", key: "put:v2", value: "" },
    ]);
  });

  it("pops due timers in deadline order and skips replaced ones", () => {
    const timers = PartitionTimers.loaded<string>([entry("a", 30), entry("b", 10)]);
    timers.set(entry("b", 40));
    timers.set(entry("c", 20));
    expect(timers.nextDeadlineMs()).toBe(20);
    expect(timers.popDue(35)?.key).toBe("c");
    expect(timers.popDue(35)?.key).toBe("a");
    expect(timers.popDue(35)).toBeUndefined();
    expect(timers.size).toBe(1);
    expect(timers.popDue(40)?.deadlineMs).toBe(40);
  });
});
