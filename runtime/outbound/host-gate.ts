import { OutboundError } from "./outbound-error.js";

export interface HostGateOptions {
  /** Requests in flight at once per destination (origin). */
  readonly maxConcurrentPerHost: number;
  /** Requests waiting for a slot to a destination that looks slow; beyond that a call fails fast. */
  readonly maxQueuedPerHost: number;
  /** Consecutive timeouts / connection errors that open a destination's circuit. */
  readonly circuitFailureThreshold: number;
  /** How long an open circuit refuses calls before one probe may pass. */
  readonly circuitOpenMs: number;
  /**
   * A destination whose oldest request in flight is older than this (or whose last call failed)
   * looks slow: its wait queue is bounded by maxQueuedPerHost. Default 1000.
   */
  readonly slowAfterMs?: number;
  readonly now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface HostState {
  /** Start times of the requests in flight, by ticket. */
  readonly inflight: Map<number, number>;
  readonly waiters: Waiter[];
  consecutiveFailures: number;
  openUntilMs: number;
  probing: boolean;
  watch: NodeJS.Timeout | undefined;
  lastFinishedAtMs: number;
}

export type GateResult = "success" | "failure" | "neutral";

/**
 * Per-destination fairness: a concurrency cap, a wait queue, and a circuit breaker.
 *
 * A healthy destination's overflow waits for a slot (its requests finish quickly), so a large
 * batch to one partner never fails for being large. A destination that looks slow (a request in
 * flight for longer than slowAfterMs, or a recent failure) keeps at most maxQueuedPerHost
 * waiters: the others fail fast as host_busy (retryable), so a partner that hangs holds at most
 * `maxConcurrentPerHost + maxQueuedPerHost` of the caller's workers, and once its circuit opens
 * it holds none: calls to it fail at once with the time the circuit stays open.
 */
export class HostGate {
  readonly #o: HostGateOptions;
  readonly #now: () => number;
  readonly #slowAfterMs: number;
  readonly #hosts = new Map<string, HostState>();
  #ticket = 0;

  constructor(options: HostGateOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#slowAfterMs = options.slowAfterMs ?? 1_000;
  }

  /** Waits for a slot to `host` (or fails fast); the returned release must be called once. */
  async acquire(host: string, signal: AbortSignal): Promise<(result: GateResult) => void> {
    const state = this.#state(host);
    const now = this.#now();
    if (state.openUntilMs > now) {
      throw new OutboundError("circuit_open", `circuit open for ${host}`, { retryAfterMs: state.openUntilMs - now });
    }
    const halfOpen = state.openUntilMs > 0;
    if (halfOpen) {
      // One probe decides whether the partner is back; the others wait for its verdict.
      if (state.probing) {
        throw new OutboundError("circuit_open", `circuit half-open for ${host} (probe running)`, {
          retryAfterMs: Math.min(1_000, this.#o.circuitOpenMs),
        });
      }
      state.probing = true;
    }
    try {
      if (state.inflight.size >= this.#o.maxConcurrentPerHost) await this.#wait(host, state, signal);
    } catch (err) {
      if (halfOpen) state.probing = false;
      throw err;
    }
    const ticket = ++this.#ticket;
    state.inflight.set(ticket, this.#now());
    let released = false;
    return (result) => {
      if (released) return;
      released = true;
      state.inflight.delete(ticket);
      if (result !== "failure") state.lastFinishedAtMs = this.#now();
      if (halfOpen) state.probing = false;
      this.#record(host, state, result);
      state.waiters.shift()?.resolve();
      const idle = state.inflight.size === 0 && state.waiters.length === 0;
      if (idle && state.openUntilMs === 0 && state.consecutiveFailures === 0) this.#hosts.delete(host);
    };
  }

  #wait(host: string, state: HostState, signal: AbortSignal): Promise<void> {
    const busy = () => new OutboundError("host_busy", `too many requests waiting for ${host}`, { retryAfterMs: 1_000 });
    if (this.#slow(state) && state.waiters.length >= this.#o.maxQueuedPerHost) return Promise.reject(busy());
    this.#watch(host, state);
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        signal.removeEventListener("abort", onAbort);
        const i = state.waiters.indexOf(waiter);
        if (i >= 0) state.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        // Only release() resolves, after taking the waiter off the front of the queue.
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err) => {
          leave();
          reject(err);
        },
      };
      const onAbort = () => waiter.reject(new OutboundError("host_busy", `gave up waiting for a slot to ${host}`));
      signal.addEventListener("abort", onAbort, { once: true });
      state.waiters.push(waiter);
    });
  }

  /** While `host` has waiters: once it turns slow, the waiters beyond its bound fail as host_busy. */
  #watch(host: string, state: HostState): void {
    if (state.watch !== undefined) return;
    state.watch = setInterval(() => {
      if (state.waiters.length === 0) {
        clearInterval(state.watch);
        state.watch = undefined;
        return;
      }
      if (!this.#slow(state)) return;
      for (const w of state.waiters.slice(this.#o.maxQueuedPerHost)) {
        w.reject(new OutboundError("host_busy", `${host} is slow; too many requests waiting`, { retryAfterMs: 1_000 }));
      }
    }, this.#slowAfterMs / 2);
    state.watch.unref();
  }

  /**
   * Slow: the last call failed, or a request has been in flight for slowAfterMs while none
   * finished in that time. A busy but healthy partner keeps finishing requests (its overflow
   * waits); one that hangs finishes none.
   */
  #slow(state: HostState): boolean {
    if (state.consecutiveFailures > 0) return true;
    const limit = this.#now() - this.#slowAfterMs;
    if (state.lastFinishedAtMs >= limit) return false;
    for (const startedAt of state.inflight.values()) if (startedAt < limit) return true;
    return false;
  }

  #record(host: string, state: HostState, result: GateResult): void {
    if (result === "success") {
      state.consecutiveFailures = 0;
      state.openUntilMs = 0;
    } else if (result === "failure") {
      state.consecutiveFailures += 1;
      if (state.consecutiveFailures >= this.#o.circuitFailureThreshold) {
        state.openUntilMs = this.#now() + this.#o.circuitOpenMs;
        // Waiters would only add load to a dead partner: fail them now, they are retried later.
        for (const w of [...state.waiters]) {
          w.reject(
            new OutboundError("circuit_open", `circuit open for ${host}`, { retryAfterMs: this.#o.circuitOpenMs }),
          );
        }
      }
    }
  }

  /** Destinations whose circuit is open now (for the open-circuits gauge). */
  openCircuits(): number {
    const now = this.#now();
    let n = 0;
    for (const state of this.#hosts.values()) if (state.openUntilMs > now) n++;
    return n;
  }

  #state(host: string): HostState {
    let state = this.#hosts.get(host);
    if (state === undefined) {
      state = {
        inflight: new Map(),
        waiters: [],
        consecutiveFailures: 0,
        openUntilMs: 0,
        probing: false,
        watch: undefined,
        lastFinishedAtMs: 0,
      };
      this.#hosts.set(host, state);
    }
    return state;
  }
}
