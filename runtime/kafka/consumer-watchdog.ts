import { TributaryError } from "../errors.js";

/** Clock and timer seams, so the watchdog is unit-tested with a fake clock. */
export interface WatchdogClock {
  now(): number;
  setInterval(fn: () => void, ms: number): { unref?: () => void };
  clearInterval(handle: unknown): void;
}

const systemClock: WatchdogClock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface ConsumerWatchdogOptions {
  /** Longest time without consumer activity before the consumer counts as stalled. */
  readonly stallMs: number;
  /** Called once, with a coded error, when the consumer stalls. */
  readonly onStall: (err: TributaryError) => void;
  readonly clock?: WatchdogClock;
}

/**
 * Notices a consumer that has silently stopped: after a broker restart kafkajs sometimes never
 * rejoins the group, emits nothing, and the process lives on consuming nothing. Every sign of
 * life (fetch start, heartbeat, group join, batch start/end) calls `touch`; a batch being
 * processed counts as alive (its handler has its own bounds). Paused partitions do not look
 * stalled: kafkajs still starts a fetch (and sleeps maxWaitTime) when every partition is paused.
 */
export class ConsumerWatchdog {
  readonly #options: ConsumerWatchdogOptions;
  readonly #clock: WatchdogClock;
  #lastActivityMs: number;
  #inBatch = false;
  #handle: unknown;
  #fired = false;

  constructor(options: ConsumerWatchdogOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#lastActivityMs = this.#clock.now();
  }

  start(): void {
    if (this.#handle !== undefined) return;
    this.#lastActivityMs = this.#clock.now();
    const handle = this.#clock.setInterval(() => this.check(), Math.max(50, Math.floor(this.#options.stallMs / 4)));
    handle.unref?.();
    this.#handle = handle;
  }

  stop(): void {
    if (this.#handle !== undefined) this.#clock.clearInterval(this.#handle);
    this.#handle = undefined;
  }

  touch(): void {
    this.#lastActivityMs = this.#clock.now();
  }

  batchStarted(): void {
    this.#inBatch = true;
    this.touch();
  }

  batchEnded(): void {
    this.#inBatch = false;
    this.touch();
  }

  /** Milliseconds since the last sign of life. */
  idleMs(): number {
    return this.#clock.now() - this.#lastActivityMs;
  }

  /** Fires onStall (once) when idle too long; true when it fired. */
  check(): boolean {
    if (this.#fired || this.#inBatch || this.idleMs() < this.#options.stallMs) return false;
    this.#fired = true;
    this.stop();
    this.#options.onStall(
      new TributaryError(
        "unavailable",
        `consumer stalled: no fetch, heartbeat or rejoin for ${this.idleMs()} ms (limit ${this.#options.stallMs} ms)`,
        { canRetry: true },
      ),
    );
    return true;
  }
}
