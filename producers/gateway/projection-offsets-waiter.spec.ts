import { describe, expect, it } from "vitest";
import { ProjectionOffsetsWaiter } from "./projection-offsets-waiter.js";

describe("ProjectionOffsetsWaiter", () => {
  it("resolves once the stored offsets reach the target, polling only while someone waits", async () => {
    let stored = new Map<number, number>([[0, 3]]);
    let reads = 0;
    const waiter = new ProjectionOffsetsWaiter(async () => {
      reads += 1;
      return new Map(stored);
    }, 1);
    waiter.noteWritten(new Map([[0, 5]]));
    const waiting = waiter.waitFor(waiter.written(), 1_000);
    await new Promise((r) => setTimeout(r, 20));
    stored = new Map([[0, 5]]);
    await waiting;
    const readsAfter = reads;
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toBe(readsAfter);
    await waiter.waitFor(new Map([[0, 4]]), 0);
  });

  it("rejects `unavailable` naming the partition behind after the wait", async () => {
    const waiter = new ProjectionOffsetsWaiter(async () => new Map([[1, 2]]), 1);
    await expect(waiter.waitFor(new Map([[1, 7]]), 30)).rejects.toThrow(/partition 1 at 2 < 7/);
  });

  it("a second waiter arriving while the loop polls is served by the same loop", async () => {
    let stored = 0;
    const waiter = new ProjectionOffsetsWaiter(async () => new Map([[0, stored]]), 1);
    const a = waiter.waitFor(new Map([[0, 1]]), 1_000);
    await new Promise((r) => setTimeout(r, 5));
    const b = waiter.waitFor(new Map([[0, 2]]), 1_000);
    stored = 2;
    await Promise.all([a, b]);
  });
});
