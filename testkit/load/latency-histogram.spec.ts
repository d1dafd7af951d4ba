import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "./latency-histogram.js";
import { SeededRandom } from "./seeded-random.js";

function exactPercentile(sorted: readonly number[], p: number): number {
  const index = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[index] ?? Number.NaN;
}

describe("LatencyHistogram", () => {
  it("agrees with exact percentiles within 0.1 % (3 significant digits)", () => {
    const random = new SeededRandom(7);
    const histogram = new LatencyHistogram();
    // Long-tailed, like real latencies: mostly 1-5 ms, some up to 2 s.
    const values = Array.from({ length: 50_000 }, () =>
      random.next() < 0.99 ? 1 + random.next() * 4 : 5 + random.next() * 2_000,
    );
    for (const v of values) histogram.recordMs(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = exactPercentile(sorted, p);
      expect(Math.abs(histogram.percentileMs(p) - exact) / exact).toBeLessThan(0.002);
    }
    const s = histogram.summary();
    expect(s.count).toBe(50_000);
    expect(Math.abs(s.max - (sorted.at(-1) ?? 0)) / s.max).toBeLessThan(0.002);
  });

  it("is empty (NaN) before any value and after reset", () => {
    const histogram = new LatencyHistogram();
    expect(histogram.summary().p99).toBeNaN();
    histogram.recordMs(3);
    expect(histogram.percentileMs(99)).toBeCloseTo(3, 2);
    histogram.reset();
    expect(histogram.count).toBe(0);
  });
});
