import { errorMessage, TributaryError } from "../errors.js";
import type { Logger } from "../observability/logger.js";

export interface WaitForRegistryOptions {
  readonly log: Logger;
  /** Shutdown: a service asked to stop while waiting stops waiting. */
  readonly signal: AbortSignal;
  /** Pause between attempts. Default 1000. */
  readonly retryIntervalMs?: number;
  /** Give up (the error is rethrown, the service exits 1) after this long. Default 600000. */
  readonly maxWaitMs?: number;
}

/**
 * Runs a registry step (schema registration at start-up) until it succeeds, as long as its
 * error is retryable (registry unreachable, 5xx). A service started while the registry was down
 * exited at once with `schema registry unreachable`; now it logs one clear line per attempt,
 * waits, and starts once the registry is back. A final error (a 409 incompatible schema) still
 * fails at once.
 */
export async function waitForRegistry<T>(step: () => Promise<T>, options: WaitForRegistryOptions): Promise<T> {
  const retryIntervalMs = options.retryIntervalMs ?? 1_000;
  const maxWaitMs = options.maxWaitMs ?? 600_000;
  const startedAtMs = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await step();
      if (attempt > 1)
        options.log.info({ attempts: attempt, waitedMs: Date.now() - startedAtMs }, "schema registry is back");
      return result;
    } catch (err) {
      const retryable = err instanceof TributaryError && err.canRetry;
      const waitedMs = Date.now() - startedAtMs;
      if (!retryable || options.signal.aborted || waitedMs >= maxWaitMs) throw err;
      options.log.warn(
        { attempt, waitedMs, retryInMs: retryIntervalMs, err: errorMessage(err) },
        "waiting for the schema registry before starting",
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryIntervalMs);
        options.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}
