import { describe, expect, it } from "vitest";
import { DeadlineHeap } from "./deadline-heap.js";

describe("DeadlineHeap", () => {
  it("pops in due order, ties in insertion order", () => {
    const heap = new DeadlineHeap<string>();
    const due = [50, 10, 30, 10, 70, 20, 30, 0];
    for (const [i, d] of due.entries()) heap.push(d, `${d}#${i}`);
    const out: string[] = [];
    while (heap.size > 0) out.push(heap.pop() ?? "");
    expect(out).toEqual(["0#7", "10#1", "10#3", "20#5", "30#2", "30#6", "50#0", "70#4"]);
    expect(heap.pop()).toBeUndefined();
  });

  it("stays ordered under random pushes and pops", () => {
    const heap = new DeadlineHeap<number>();
    const reference: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      if (Math.random() < 0.6 || heap.size === 0) {
        const d = Math.floor(Math.random() * 1_000);
        heap.push(d, d);
        reference.push(d);
      } else {
        reference.sort((a, b) => a - b);
        expect(heap.peekDueMs()).toBe(reference[0]);
        expect(heap.pop()).toBe(reference.shift());
      }
    }
  });
});
