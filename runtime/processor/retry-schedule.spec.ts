import { describe, expect, it } from "vitest";
import { maxScheduleMs, retryDelayMs, validateRetrySchedule } from "./retry-schedule.js";

describe("retry schedule", () => {
  const schedule = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 };

  it("doubles the nominal delay per failure up to the cap, jittered within [nominal/2, nominal]", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(schedule, n, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(schedule, n, () => 0))).toEqual([50, 100, 200, 400, 500]);
    for (let i = 0; i < 1_000; i++) {
      const d = retryDelayMs(schedule, 3);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it("bounds the total wait before giving up", () => {
    expect(maxScheduleMs(schedule)).toBe(100 + 200 + 400 + 800 + 1000);
  });

  it("follows an explicit schedule (Svix-like), repeating its last delay", () => {
    const svix = { maxAttempts: 9, baseDelayMs: 1, maxDelayMs: 1, delaysMs: [5_000, 300_000, 1_800_000] };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(svix, n, () => 1))).toEqual([
      5_000, 300_000, 1_800_000, 1_800_000, 1_800_000,
    ]);
    expect(retryDelayMs(svix, 1, () => 0)).toBe(2_500);
    expect(() => validateRetrySchedule({ ...svix, delaysMs: [] })).toThrow(/delaysMs/);
  });

  it("names the bad field", () => {
    expect(() => validateRetrySchedule({ ...schedule, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => validateRetrySchedule({ ...schedule, maxDelayMs: 10 })).toThrow(/maxDelayMs/);
  });
});
