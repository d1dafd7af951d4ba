/**
 * Open-loop schedule: the intended send time of every request is fixed in advance by the rate
 * (and a linear ramp from 0 to the rate), never by when earlier requests finished. A slow server
 * therefore cannot lower the offered rate: it shows up as late or missed sends and as latency
 * measured from the intended time (no coordinated omission).
 */
export class OpenLoopSchedule {
  readonly ratePerS: number;
  readonly rampMs: number;
  readonly durationMs: number;
  /** Requests intended within the duration. */
  readonly total: number;
  /** Requests intended during the ramp (rate × ramp / 2). */
  readonly #rampCount: number;

  constructor(ratePerS: number, durationMs: number, rampMs = 0) {
    if (!(ratePerS > 0)) throw new RangeError(`rate must be > 0, got ${ratePerS}`);
    if (!(durationMs > 0)) throw new RangeError(`duration must be > 0, got ${durationMs}`);
    if (rampMs < 0 || rampMs > durationMs) throw new RangeError(`ramp must be within 0..duration, got ${rampMs}`);
    this.ratePerS = ratePerS;
    this.durationMs = durationMs;
    this.rampMs = rampMs;
    this.#rampCount = (ratePerS * rampMs) / 2_000;
    this.total = Math.floor(this.countBefore(durationMs));
  }

  /** How many requests are intended in [0, tMs) (fractional). */
  countBefore(tMs: number): number {
    const t = Math.max(0, Math.min(tMs, this.durationMs));
    const perMs = this.ratePerS / 1_000;
    if (t <= this.rampMs) return (perMs * t * t) / (2 * this.rampMs);
    return this.#rampCount + perMs * (t - this.rampMs);
  }

  /** Intended send time of request i (0-based), in ms from the start: the inverse of countBefore. */
  timeOf(i: number): number {
    const perMs = this.ratePerS / 1_000;
    if (i < this.#rampCount) return Math.sqrt((2 * this.rampMs * i) / perMs);
    return this.rampMs + (i - this.#rampCount) / perMs;
  }

  /** Rate intended at time tMs (requests per second). */
  rateAt(tMs: number): number {
    if (this.rampMs > 0 && tMs < this.rampMs) return (this.ratePerS * Math.max(0, tMs)) / this.rampMs;
    return this.ratePerS;
  }
}
