import { describe, expect, it } from "vitest";
import { TributaryError } from "../errors.js";
import { ConsumerWatchdog, type WatchdogClock } from "./consumer-watchdog.js";

/** A clock whose time moves only when the test says so; intervals run as time passes. */
function fakeClock() {
  let nowMs = 1_000_000;
  const timers = new Map<number, { fn: () => void; everyMs: number; nextMs: number }>();
  let ids = 0;
  const clock: WatchdogClock = {
    now: () => nowMs,
    setInterval: (fn, ms) => {
      const id = ++ids;
      timers.set(id, { fn, everyMs: ms, nextMs: nowMs + ms });
      return id as unknown as { unref?: () => void };
    },
    clearInterval: (handle) => {
      timers.delete(handle as number);
    },
  };
  const advance = (ms: number) => {
    const end = nowMs + ms;
    for (;;) {
      const due = [...timers.values()].filter((t) => t.nextMs <= end).sort((a, b) => a.nextMs - b.nextMs)[0];
      if (due === undefined) break;
      nowMs = due.nextMs;
      due.nextMs += due.everyMs;
      due.fn();
    }
    nowMs = end;
  };
  return { clock, advance, timerCount: () => timers.size };
}

describe("ConsumerWatchdog", () => {
  it("fires once, with a coded error, after stallMs without activity", () => {
    const { clock, advance, timerCount } = fakeClock();
    const stalls: TributaryError[] = [];
    const dog = new ConsumerWatchdog({ stallMs: 60_000, onStall: (e) => stalls.push(e), clock });
    dog.start();
    advance(59_000);
    expect(stalls).toHaveLength(0);
    advance(16_000);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toBeInstanceOf(TributaryError);
    expect(stalls[0]?.code).toBe("unavailable");
    expect(stalls[0]?.message).toMatch(/consumer stalled: .*limit 60000 ms/);
    advance(600_000);
    expect(stalls).toHaveLength(1);
    expect(timerCount()).toBe(0);
  });

  it("stays quiet while fetches or heartbeats keep coming (paused partitions still fetch)", () => {
    const { clock, advance } = fakeClock();
    const stalls: TributaryError[] = [];
    const dog = new ConsumerWatchdog({ stallMs: 10_000, onStall: (e) => stalls.push(e), clock });
    dog.start();
    for (let i = 0; i < 100; i++) {
      advance(1_000);
      dog.touch();
    }
    expect(stalls).toHaveLength(0);
    advance(12_500);
    expect(stalls).toHaveLength(1);
  });

  it("does not fire while a batch is being processed, and counts from its end", () => {
    const { clock, advance } = fakeClock();
    const stalls: TributaryError[] = [];
    const dog = new ConsumerWatchdog({ stallMs: 10_000, onStall: (e) => stalls.push(e), clock });
    dog.start();
    dog.batchStarted();
    advance(60_000);
    expect(stalls).toHaveLength(0);
    dog.batchEnded();
    advance(9_000);
    expect(stalls).toHaveLength(0);
    advance(5_000);
    expect(stalls).toHaveLength(1);
  });

  it("never fires after stop (shutdown)", () => {
    const { clock, advance, timerCount } = fakeClock();
    const stalls: TributaryError[] = [];
    const dog = new ConsumerWatchdog({ stallMs: 1_000, onStall: (e) => stalls.push(e), clock });
    dog.start();
    dog.stop();
    advance(10_000);
    expect(stalls).toHaveLength(0);
    expect(timerCount()).toBe(0);
  });
});
