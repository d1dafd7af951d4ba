import hdr from "hdr-histogram-js";

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Highest latency recorded exactly: 1 hour, in microseconds; longer ones are clamped. */
const HIGHEST_US = 3_600_000_000;

/**
 * Latencies in an HDR histogram (hdr-histogram-js, pure JS): microsecond resolution, 3
 * significant digits, constant memory whatever the run length; read back in milliseconds.
 */
export class LatencyHistogram {
  readonly #histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  recordMs(ms: number): void {
    const us = Math.round(ms * 1_000);
    this.#histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, us)));
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  /** Value at a percentile (0..100), in ms; NaN when empty. */
  percentileMs(p: number): number {
    if (this.#histogram.totalCount === 0) return Number.NaN;
    return this.#histogram.getValueAtPercentile(p) / 1_000;
  }

  summary(): LatencySummary {
    const empty = this.#histogram.totalCount === 0;
    return {
      count: this.#histogram.totalCount,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      p999: this.percentileMs(99.9),
      max: empty ? Number.NaN : this.#histogram.maxValue / 1_000,
      mean: empty ? Number.NaN : this.#histogram.mean / 1_000,
    };
  }

  reset(): void {
    this.#histogram.reset();
  }
}
