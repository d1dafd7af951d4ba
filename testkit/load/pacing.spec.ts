import { describe, expect, it } from "vitest";
import { OpenLoopSchedule } from "./pacing.js";

describe("OpenLoopSchedule", () => {
  it("spaces sends evenly at the rate without a ramp", () => {
    const s = new OpenLoopSchedule(2000, 20_000);
    expect(s.total).toBe(40_000);
    expect(s.timeOf(0)).toBe(0);
    expect(s.timeOf(1)).toBeCloseTo(0.5);
    expect(s.timeOf(2000)).toBeCloseTo(1000);
  });

  it("ramps linearly: half the requests of full rate during the ramp, then the rate", () => {
    const s = new OpenLoopSchedule(1000, 10_000, 4_000);
    expect(s.countBefore(4_000)).toBeCloseTo(2_000);
    expect(s.total).toBe(2_000 + 6_000);
    expect(s.rateAt(1_000)).toBeCloseTo(250);
    expect(s.rateAt(5_000)).toBe(1000);
  });

  it("timeOf is the inverse of countBefore and increasing", () => {
    const s = new OpenLoopSchedule(750, 8_000, 3_000);
    let previous = -1;
    for (let i = 0; i < s.total; i += 7) {
      const t = s.timeOf(i);
      expect(t).toBeGreaterThan(previous);
      expect(s.countBefore(t)).toBeCloseTo(i, 6);
      previous = t;
    }
    expect(s.timeOf(s.total - 1)).toBeLessThan(8_000);
  });

  it("refuses impossible plans", () => {
    expect(() => new OpenLoopSchedule(0, 1000)).toThrow(/rate/);
    expect(() => new OpenLoopSchedule(10, 0)).toThrow(/duration/);
    expect(() => new OpenLoopSchedule(10, 1000, 2000)).toThrow(/ramp/);
  });
});
