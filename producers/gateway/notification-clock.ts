/** The two clocks a notification timestamp is made from (injectable for tests). */
export interface ClockSources {
  /** Wall clock, whole milliseconds since the Unix epoch (Date.now). */
  wallMs(): number;
  /** Monotonic clock in nanoseconds from an arbitrary origin (process.hrtime.bigint). */
  monotonicNs(): bigint;
}

const NS_PER_MS = 1_000_000n;
/**
 * How far the derived time may stray from Date.now() before it is re-anchored. Not less: a GC
 * pause between reading the two clocks would re-anchor for nothing and zero the digits.
 */
const MAX_DRIFT_NS = 5n * NS_PER_MS;

export const systemClockSources: ClockSources = {
  wallMs: () => Date.now(),
  monotonicNs: () => process.hrtime.bigint(),
};

/**
 * Nanosecond timestamps for notifications, as the seed's Go service stamps them
 * (`2025-02-25T22:06:25.478310425Z`). Node has no nanosecond wall clock, so the digits are made
 * of two clocks: the wall clock gives the millisecond once, at an anchor, and the monotonic
 * clock (process.hrtime) counts the nanoseconds since. The anchor is taken right after a
 * Date.now() millisecond tick, so the sub-millisecond digits start near the truth. When the wall
 * clock moves away from the derived time by more than 5 ms (NTP step, VM suspend), the clock
 * re-anchors on Date.now(). Every value is strictly greater than the previous one in the process
 * (+1 ns when two calls would collide or the wall clock stepped back), so timestamps order the
 * notifications of one gateway process the way it accepted them.
 */
export class NotificationClock {
  readonly #sources: ClockSources;
  #anchorWallNs: bigint;
  #anchorMonotonicNs: bigint;
  #lastNs = 0n;

  constructor(sources: ClockSources = systemClockSources, options: { alignToTick?: boolean } = {}) {
    this.#sources = sources;
    let wallMs = sources.wallMs();
    if (options.alignToTick ?? sources === systemClockSources) {
      // Spin (≤ 2 ms, once per process) until the millisecond changes: the anchor then sits on a
      // tick, not up to 1 ms after one.
      const first = wallMs;
      const giveUpAt = sources.monotonicNs() + 2n * NS_PER_MS;
      while (wallMs === first && sources.monotonicNs() < giveUpAt) wallMs = sources.wallMs();
    }
    this.#anchorWallNs = BigInt(wallMs) * NS_PER_MS;
    this.#anchorMonotonicNs = sources.monotonicNs();
  }

  /** Nanoseconds since the Unix epoch; strictly increasing per instance. */
  nowNs(): bigint {
    const monotonic = this.#sources.monotonicNs();
    const wallNs = BigInt(this.#sources.wallMs()) * NS_PER_MS;
    let ns = this.#anchorWallNs + (monotonic - this.#anchorMonotonicNs);
    // Date.now() truncates, so the true time lies in [wallNs, wallNs + 1 ms).
    if (ns < wallNs - MAX_DRIFT_NS || ns > wallNs + NS_PER_MS + MAX_DRIFT_NS) {
      this.#anchorWallNs = wallNs;
      this.#anchorMonotonicNs = monotonic;
      ns = wallNs;
    }
    if (ns <= this.#lastNs) ns = this.#lastNs + 1n;
    this.#lastNs = ns;
    return ns;
  }

  /** RFC 3339, UTC, nine fraction digits. */
  now(): string {
    return formatRfc3339Nanos(this.nowNs());
  }
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` for nanoseconds since the Unix epoch (>= 0). */
export function formatRfc3339Nanos(epochNs: bigint): string {
  if (epochNs < 0n) throw new RangeError(`time before 1970 is not supported: ${epochNs} ns`);
  const seconds = epochNs / 1_000_000_000n;
  const fraction = epochNs % 1_000_000_000n;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${fraction.toString().padStart(9, "0")}Z`;
}
