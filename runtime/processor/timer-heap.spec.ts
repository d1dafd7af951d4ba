import { describe, expect, it } from "vitest";
import { TimerHeap } from "./timer-heap.js";

function drain(heap: TimerHeap): string[] {
  const out: string[] = [];
  while (heap.size > 0) {
    out.push(`${heap.peekKey()}=${heap.peekRef()}`);
    heap.pop();
  }
  return out;
}

describe("TimerHeap", () => {
  it("pops in deadline order, ties in insertion order, keeping key and value together", () => {
    const heap = new TimerHeap();
    const due = [50, 10, 30, 10, 70, 20, 30, 0];
    for (const [i, d] of due.entries()) heap.push(d, `${d}#${i}`, `v${i}`);
    expect(drain(heap)).toEqual([
      "0#7=v7",
      "10#1=v1",
      "10#3=v3",
      "20#5=v5",
      "30#2=v2",
      "30#6=v6",
      "50#0=v0",
      "70#4=v4",
    ]);
    expect(heap.peekDueMs()).toBeUndefined();
  });

  it("stays ordered under random pushes and pops past its growth steps", () => {
    const heap = new TimerHeap();
    const reference: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      if (Math.random() < 0.6 || heap.size === 0) {
        const d = Math.floor(Math.random() * 1_000);
        heap.push(d, String(d), "");
        reference.push(d);
      } else {
        reference.sort((a, b) => a - b);
        expect(heap.peekDueMs()).toBe(reference[0]);
        expect(heap.peekKey()).toBe(String(reference[0]));
        heap.pop();
        reference.shift();
      }
    }
    expect(heap.size).toBe(reference.length);
  });
});
