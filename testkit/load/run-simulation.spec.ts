import { describe, expect, it } from "vitest";
import { runSimulation } from "./run-simulation.js";
import { SeededRandom } from "./seeded-random.js";
import type { CallOutcome } from "./transports.js";

const respondAfter = (ms: number, outcome: CallOutcome) =>
  new Promise<CallOutcome>((r) => setTimeout(() => r(outcome), ms));

describe("runSimulation (open loop)", () => {
  it("sends the offered rate and counts every outcome by code", async () => {
    const result = await runSimulation({ ratePerS: 400, durationMs: 1_000, rampMs: 0, concurrency: 50 }, (i) =>
      respondAfter(2, i % 10 === 0 ? { ok: false, code: "unavailable" } : { ok: true }),
    );
    expect(result.offered).toBe(400);
    expect(result.sent).toBe(400);
    expect(result.missed).toBe(0);
    expect(result.ok + result.failed).toBe(result.sent);
    expect(result.errors).toEqual({ unavailable: 40 });
    expect(result.latencyMs.count).toBe(360);
  });

  it("does not let a slow server lower the offered rate silently (no coordinated omission)", async () => {
    // One slot, 100 ms per call, 50 calls/s offered: the server can take 10/s.
    const result = await runSimulation({ ratePerS: 50, durationMs: 1_000, rampMs: 0, concurrency: 1 }, () =>
      respondAfter(100, { ok: true }),
    );
    expect(result.offered).toBe(50);
    expect(result.sent).toBeLessThanOrEqual(11);
    expect(result.missed).toBe(result.offered - result.sent);
    expect(result.late).toBeGreaterThan(0);
    // Measured from the intended time, the last calls waited far longer than the 100 ms of service.
    expect(result.serviceTimeMs.p50).toBeLessThan(200);
    expect(result.latencyMs.max).toBeGreaterThan(500);
  });

  it("stops on the signal and still reports", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await runSimulation(
      { ratePerS: 100, durationMs: 10_000, rampMs: 0, concurrency: 10 },
      () => respondAfter(1, { ok: true }),
      { signal: controller.signal },
    );
    expect(result.elapsedMs).toBeLessThan(2_000);
    expect(result.sent).toBeGreaterThan(5);
    expect(result.offered).toBeLessThan(100);
  });

  it("reports progress while it runs", async () => {
    const seen: number[] = [];
    await runSimulation(
      { ratePerS: 200, durationMs: 700, rampMs: 0, concurrency: 10 },
      () => respondAfter(1, { ok: true }),
      {
        onProgress: (p) => seen.push(p.sent),
        progressIntervalMs: 200,
      },
    );
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});

describe("SeededRandom", () => {
  it("repeats with the same seed", () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const seqA = Array.from({ length: 5 }, () => a.int(0, 1_000_000));
    expect(Array.from({ length: 5 }, () => b.int(0, 1_000_000))).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.int(0, 1_000_000))).not.toEqual(seqA);
  });
});
