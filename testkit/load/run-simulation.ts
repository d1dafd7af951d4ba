import { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
import { OpenLoopSchedule } from "./pacing.js";
import type { CallOutcome } from "./transports.js";

export interface SimulationPlan {
  /** Offered rate once the ramp is over, operations per second. */
  readonly ratePerS: number;
  readonly durationMs: number;
  /** Linear ramp from 0 to the rate at the start (0: full rate at once). */
  readonly rampMs: number;
  /** Most operations in flight; a due send waits for a free slot (and counts as late). */
  readonly concurrency: number;
  /** A send this much after its intended time counts as late. Default 10 ms. */
  readonly lateAfterMs?: number;
}

/** One second (or so) of the run, for the live progress line. */
export interface SimulationProgress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Completed operations per second over the last interval. */
  readonly currentRatePerS: number;
  /** p99 latency of the operations completed in the last interval (ms; NaN when none). */
  readonly intervalP99Ms: number;
}

export interface SimulationResult {
  /** Operations the schedule intended within the elapsed send window. */
  readonly offered: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Intended but never sent (no free slot before the window closed, or stopped early). */
  readonly missed: number;
  /** Sent more than lateAfterMs after their intended time. */
  readonly late: number;
  readonly elapsedMs: number;
  /** Sent per second over the send window. */
  readonly offeredRatePerS: number;
  readonly achievedRatePerS: number;
  /** Succeeded per second over the whole run (window plus drain). */
  readonly okRatePerS: number;
  /** From the intended send time to the answer: what a user arriving on schedule waited. */
  readonly latencyMs: LatencySummary;
  /** From the actual send to the answer (the server's view). */
  readonly serviceTimeMs: LatencySummary;
  /** How late sends left compared to the schedule. */
  readonly sendLagMs: LatencySummary;
}

export interface RunHooks {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SimulationProgress) => void;
  readonly progressIntervalMs?: number;
}

/**
 * The load engine: sends `operation(i)` at the open-loop schedule's intended times, keeps at most
 * `concurrency` in flight, and measures latency from the intended time (a send delayed by a
 * full pool or a busy event loop still counts its wait, so a slow server cannot hide behind
 * fewer requests). After the window closes, in-flight operations are awaited (each bounded by
 * the caller's own timeout).
 */
export async function runSimulation(
  plan: SimulationPlan,
  operation: (i: number) => Promise<CallOutcome>,
  hooks: RunHooks = {},
): Promise<SimulationResult> {
  const schedule = new OpenLoopSchedule(plan.ratePerS, plan.durationMs, plan.rampMs);
  const lateAfterMs = plan.lateAfterMs ?? 10;
  const latency = new LatencyHistogram();
  const service = new LatencyHistogram();
  const lag = new LatencyHistogram();
  const interval = new LatencyHistogram();
  const errors: Record<string, number> = {};
  let next = 0;
  let inFlight = 0;
  let ok = 0;
  let failed = 0;
  let late = 0;
  let intervalDone = 0;
  let windowClosedAt: number | null = null;
  const start = performance.now();
  const elapsed = () => performance.now() - start;

  // Set while the loop sleeps for a free slot (pool full) or for the drain.
  let wakeOnCompletion: (() => void) | undefined;
  const complete = (outcome: CallOutcome, intendedMs: number, sentAtMs: number) => {
    const now = elapsed();
    inFlight -= 1;
    if (outcome.ok) {
      ok += 1;
      latency.recordMs(now - intendedMs);
      service.recordMs(now - sentAtMs);
      interval.recordMs(now - intendedMs);
    } else {
      failed += 1;
      errors[outcome.code] = (errors[outcome.code] ?? 0) + 1;
    }
    intervalDone += 1;
    const wake = wakeOnCompletion;
    wakeOnCompletion = undefined;
    wake?.();
  };

  let lastTick = 0;
  const progressTimer =
    hooks.onProgress === undefined
      ? undefined
      : setInterval(() => {
          const now = elapsed();
          hooks.onProgress?.({
            elapsedMs: now,
            sent: next,
            ok,
            failed,
            inFlight,
            currentRatePerS: (intervalDone * 1_000) / Math.max(1, now - lastTick),
            intervalP99Ms: interval.percentileMs(99),
          });
          lastTick = now;
          intervalDone = 0;
          interval.reset();
        }, hooks.progressIntervalMs ?? 1_000);

  try {
    while (next < schedule.total && !hooks.signal?.aborted) {
      const now = elapsed();
      if (now >= plan.durationMs) break;
      while (next < schedule.total && inFlight < plan.concurrency) {
        const intended = schedule.timeOf(next);
        if (intended > now) break;
        const i = next++;
        const sentAt = elapsed();
        const behind = sentAt - intended;
        lag.recordMs(behind);
        if (behind > lateAfterMs) late += 1;
        inFlight += 1;
        operation(i).then(
          (outcome) => complete(outcome, intended, sentAt),
          () => complete({ ok: false, code: "client_error" }, intended, sentAt),
        );
      }
      if (next >= schedule.total) break;
      // Sleep until the next intended send; with the pool full, until a completion frees a
      // slot (the window's end still bounds the wait).
      const poolFull = inFlight >= plan.concurrency;
      const untilMs = poolFull ? plan.durationMs : Math.min(schedule.timeOf(next), plan.durationMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            wakeOnCompletion = undefined;
            resolve();
          },
          Math.max(0, untilMs - elapsed()),
        );
        if (poolFull) {
          wakeOnCompletion = () => {
            clearTimeout(timer);
            resolve();
          };
        }
      });
    }
    // Stopped early: the window is what ran; otherwise the whole planned duration.
    windowClosedAt = hooks.signal?.aborted ? Math.min(elapsed(), plan.durationMs) : plan.durationMs;
    while (inFlight > 0) {
      await new Promise<void>((resolve) => {
        wakeOnCompletion = resolve;
      });
    }
  } finally {
    if (progressTimer !== undefined) clearInterval(progressTimer);
  }
  const elapsedMs = elapsed();
  const windowMs = Math.max(1, windowClosedAt ?? elapsedMs);
  const offered = Math.min(schedule.total, Math.floor(schedule.countBefore(windowMs)));
  return {
    offered,
    sent: next,
    ok,
    failed,
    errors,
    missed: Math.max(0, offered - next),
    late,
    elapsedMs,
    offeredRatePerS: (offered * 1_000) / windowMs,
    achievedRatePerS: (next * 1_000) / windowMs,
    okRatePerS: (ok * 1_000) / elapsedMs,
    latencyMs: latency.summary(),
    serviceTimeMs: service.summary(),
    sendLagMs: lag.summary(),
  };
}
