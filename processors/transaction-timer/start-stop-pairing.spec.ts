import { describe, expect, it } from "vitest";
import { pairStartStop } from "./start-stop-pairing.js";

const T = 1_800_000_000_000;
const open = { deadlineMs: T + 10_000 };

describe("pairStartStop (the Start/Stop rule of the timer and the sink)", () => {
  it("starts an instance for a Start with nothing open", () => {
    expect(pairStartStop(undefined, { kind: "start", eventTimeMs: T })).toBe("started");
  });

  it("ignores a Start before the open deadline, supersedes at or after it", () => {
    expect(pairStartStop(open, { kind: "start", eventTimeMs: T + 9_999 })).toBe("duplicate_start");
    expect(pairStartStop(open, { kind: "start", eventTimeMs: T + 10_000 })).toBe("superseded");
    expect(pairStartStop(open, { kind: "start", eventTimeMs: T + 60_000 })).toBe("superseded");
  });

  it("cancels on a Stop before the deadline; at or after it the timeout came first", () => {
    expect(pairStartStop(open, { kind: "stop", eventTimeMs: T })).toBe("cancelled");
    expect(pairStartStop(open, { kind: "stop", eventTimeMs: T + 9_999 })).toBe("cancelled");
    expect(pairStartStop(open, { kind: "stop", eventTimeMs: T + 10_000 })).toBe("stopped_after_deadline");
  });

  it("reports a Stop with nothing open, whatever its time", () => {
    expect(pairStartStop(undefined, { kind: "stop", eventTimeMs: T })).toBe("stop_not_pending");
    expect(pairStartStop(undefined, { kind: "stop", eventTimeMs: 1 })).toBe("stop_not_pending");
  });

  it("decides on event time only: an event time before the Start still pairs", () => {
    // Out-of-order event times within a partition (skewed gateway clocks) are judged by the deadline alone.
    expect(pairStartStop(open, { kind: "stop", eventTimeMs: T - 5_000 })).toBe("cancelled");
    expect(pairStartStop(open, { kind: "start", eventTimeMs: T - 5_000 })).toBe("duplicate_start");
  });
});
