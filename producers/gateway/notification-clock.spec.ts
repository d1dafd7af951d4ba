import { describe, expect, it } from "vitest";
import { type ClockSources, formatRfc3339Nanos, NotificationClock } from "./notification-clock.js";

/** Clocks moved by hand: wall in ms, monotonic in ns. */
function manualClock(wallMs: number): ClockSources & { advanceNs(ns: bigint): void; setWall(ms: number): void } {
  let wall = wallMs;
  let mono = 1_000_000_000n;
  return {
    wallMs: () => wall,
    monotonicNs: () => mono,
    advanceNs(ns) {
      mono += ns;
      wall = wallMs + Number((mono - 1_000_000_000n) / 1_000_000n);
    },
    setWall(ms) {
      wall = ms;
    },
  };
}

describe("formatRfc3339Nanos", () => {
  it("writes nine fraction digits in UTC, like the seed's timestamp", () => {
    expect(formatRfc3339Nanos(1_740_521_185_478_310_425n)).toBe("2025-02-25T22:06:25.478310425Z");
    expect(formatRfc3339Nanos(0n)).toBe("1970-01-01T00:00:00.000000000Z");
    expect(formatRfc3339Nanos(1_000_000_001n)).toBe("1970-01-01T00:00:01.000000001Z");
  });

  it("matches RFC 3339 and parses back to the same millisecond", () => {
    const text = formatRfc3339Nanos(1_764_614_400_123_456_789n);
    expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
    expect(Date.parse(text)).toBe(1_764_614_400_123);
  });
});

describe("NotificationClock", () => {
  it("takes the sub-millisecond digits from the monotonic clock", () => {
    const sources = manualClock(1_740_521_185_478);
    const clock = new NotificationClock(sources, { alignToTick: false });
    sources.advanceNs(310_425n);
    expect(clock.now()).toBe("2025-02-25T22:06:25.478310425Z");
    sources.advanceNs(2_000_000n);
    expect(clock.now()).toBe("2025-02-25T22:06:25.480310425Z");
  });

  it("is strictly increasing even when the clocks do not move", () => {
    const sources = manualClock(1_740_521_185_478);
    const clock = new NotificationClock(sources, { alignToTick: false });
    const values = Array.from({ length: 1000 }, () => clock.nowNs());
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] as bigint);
  });

  it("re-anchors on the wall clock after a step forward, and never goes back after a step back", () => {
    const sources = manualClock(1_000_000);
    const clock = new NotificationClock(sources, { alignToTick: false });
    sources.advanceNs(500_000n);
    const before = clock.nowNs();
    sources.setWall(2_000_000); // NTP step forward by ~1000 s
    const afterStep = clock.nowNs();
    expect(afterStep).toBe(2_000_000n * 1_000_000n);
    sources.setWall(1_000_000); // and back
    const afterBack = clock.nowNs();
    expect(afterBack).toBeGreaterThan(afterStep);
    expect(afterStep).toBeGreaterThan(before);
  });

  it("stays within a few milliseconds of Date.now() on the real clocks", () => {
    const clock = new NotificationClock();
    for (let i = 0; i < 100; i++) {
      const ms = Number(clock.nowNs() / 1_000_000n);
      expect(Math.abs(ms - Date.now())).toBeLessThanOrEqual(6);
    }
  });
});
