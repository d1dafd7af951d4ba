import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { PartitionTargets } from "./consistency-token.js";

interface Waiter {
  readonly targets: PartitionTargets;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Read-your-writes without a dual write: remembers the offsets this gateway's writes got (the
 * high-water mark per partition) and lets a read wait until the projection's stored offsets
 * (its `tributary_offsets` rows, committed with its rows) have reached a target. One poll loop
 * serves every waiting read, and runs only while someone waits.
 */
export class ProjectionOffsetsWaiter {
  readonly #readStored: () => Promise<Map<number, number>>;
  readonly #pollIntervalMs: number;
  readonly #written: PartitionTargets = new Map();
  #stored = new Map<number, number>();
  readonly #waiters = new Set<Waiter>();
  #polling = false;
  /** Why the last read of the stored offsets failed; null when it worked. */
  #readError: string | null = null;

  constructor(readStored: () => Promise<Map<number, number>>, pollIntervalMs = 5) {
    this.#readStored = readStored;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** Records acknowledged writes of this gateway. */
  noteWritten(targets: PartitionTargets): void {
    for (const [p, next] of targets) this.#written.set(p, Math.max(this.#written.get(p) ?? 0, next));
  }

  /** Everything this gateway has had acknowledged so far. */
  written(): PartitionTargets {
    return new Map(this.#written);
  }

  /** Resolves once the projection stored offsets ≥ targets; rejects `unavailable` after waitMs. */
  async waitFor(targets: PartitionTargets, waitMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#reached(targets)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        signal?.removeEventListener("abort", onAbort);
        reject(
          new TributaryError(
            "unavailable",
            `the messages projection has not applied earlier writes within ${waitMs} ms (behind: ${this.#behind(targets)}` +
              `${this.#readError === null ? "" : `; reading its offsets failed: ${this.#readError}`})`,
            { canRetry: true },
          ),
        );
      }, waitMs);
      const onAbort = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        reject(new TributaryError("unavailable", "call cancelled", { canRetry: true }));
      };
      const waiter: Waiter = {
        targets,
        resolve: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
      if (!this.#polling) void this.#poll();
    });
  }

  #reached(targets: PartitionTargets): boolean {
    for (const [p, next] of targets) if ((this.#stored.get(p) ?? 0) < next) return false;
    return true;
  }

  #behind(targets: PartitionTargets): string {
    return [...targets]
      .filter(([p, next]) => (this.#stored.get(p) ?? 0) < next)
      .map(([p, next]) => `partition ${p} at ${this.#stored.get(p) ?? 0} < ${next}`)
      .join(", ");
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      while (this.#waiters.size > 0) {
        try {
          this.#stored = await this.#readStored();
          this.#readError = null;
        } catch (err) {
          // Postgres briefly unreachable: keep waiting; each waiter's own deadline bounds it.
          this.#readError = errorMessage(err);
        }
        for (const w of this.#waiters) {
          if (this.#reached(w.targets)) {
            this.#waiters.delete(w);
            w.resolve();
          }
        }
        if (this.#waiters.size > 0) await new Promise((r) => setTimeout(r, this.#pollIntervalMs));
      }
    } finally {
      this.#polling = false;
    }
  }
}
