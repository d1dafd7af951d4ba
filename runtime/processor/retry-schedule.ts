import { TributaryError } from "../errors.js";

/** When to try a failed delivery again, and when to give up. */
export interface RetrySchedule {
  /** Attempts in total, the first included; after the last failure the record goes to the DLQ. */
  readonly maxAttempts: number;
  /** Nominal delay after the first failure; doubles per failure. */
  readonly baseDelayMs: number;
  /** Cap of the nominal delay. */
  readonly maxDelayMs: number;
  /**
   * An explicit schedule instead of doubling: the nominal delay after failure n is
   * `delaysMs[n - 1]` (the last one repeats), e.g. Svix's 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
   */
  readonly delaysMs?: readonly number[];
}

export function validateRetrySchedule(schedule: RetrySchedule): RetrySchedule {
  const check = (field: keyof RetrySchedule, ok: boolean, detail: string) => {
    if (!ok) throw new TributaryError("config_invalid", `${field} ${detail}`, { field });
  };
  check("maxAttempts", Number.isInteger(schedule.maxAttempts) && schedule.maxAttempts >= 1, "must be an integer >= 1");
  check("baseDelayMs", schedule.baseDelayMs >= 1, "must be >= 1");
  check("maxDelayMs", schedule.maxDelayMs >= schedule.baseDelayMs, "must be >= baseDelayMs");
  check(
    "delaysMs",
    schedule.delaysMs === undefined || (schedule.delaysMs.length > 0 && schedule.delaysMs.every((d) => d >= 0)),
    "must be a non-empty list of delays >= 0",
  );
  return schedule;
}

/**
 * Delay before attempt `failedAttempts + 1`: exponential (base * 2^(n-1), capped) with "equal
 * jitter" — a uniform pick in [nominal/2, nominal]. Full jitter could retry a struggling target
 * almost at once; keeping half of the nominal delay keeps the schedule's total length bounded
 * from below as well as above, so "gives up after ~X" stays true.
 */
export function retryDelayMs(schedule: RetrySchedule, failedAttempts: number, random: () => number = Math.random) {
  const exponent = Math.max(0, failedAttempts - 1);
  const listed = schedule.delaysMs;
  const nominal =
    listed === undefined
      ? Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** Math.min(exponent, 40))
      : (listed[Math.min(exponent, listed.length - 1)] ?? 0);
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** Longest total wait of the schedule (every jitter at its maximum), for docs and logs. */
export function maxScheduleMs(schedule: RetrySchedule): number {
  let total = 0;
  for (let n = 1; n < schedule.maxAttempts; n++) total += retryDelayMs(schedule, n, () => 1);
  return total;
}
