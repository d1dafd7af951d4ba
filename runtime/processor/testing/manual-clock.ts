import type { Clock } from "../core/ports.js";

interface PendingTimer {
  readonly id: number;
  readonly atMs: number;
  readonly fn: () => void;
}

/** A clock that moves only when told to; timers fire in deadline order as time is advanced. */
export class ManualClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): unknown {
    const timer = { id: this.#nextId++, atMs: this.#nowMs + Math.max(0, delayMs), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Pending timers (for specs that check nothing is left armed). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const targetMs = this.#nowMs + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.atMs - b.atMs || a.id - b.id);
      const next = this.#timers[0];
      if (next === undefined || next.atMs > targetMs) break;
      this.#timers.shift();
      this.#nowMs = Math.max(this.#nowMs, next.atMs);
      next.fn();
    }
    this.#nowMs = targetMs;
  }
}
