import type { Logger } from "../observability/logger.js";

export interface Shutdown {
  /** Aborted on SIGTERM/SIGINT (or `trigger()`): every loop and client call watches it. */
  readonly signal: AbortSignal;
  /** Registers cleanup, run in reverse order of registration once the signal fires. */
  onShutdown(name: string, fn: () => Promise<void> | void): void;
  /** Starts shutdown from code (fatal error); resolves when every cleanup ran. */
  trigger(reason: string): Promise<void>;
  /** Resolves once every cleanup ran. */
  readonly done: Promise<void>;
}

/** Graceful shutdown: one AbortController fed by process signals, cleanups in reverse order. */
export function installShutdown(log: Logger, graceMs = 25_000): Shutdown {
  const controller = new AbortController();
  const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let started = false;

  const run = async (reason: string): Promise<void> => {
    if (started) return done;
    started = true;
    log.info({ reason }, "shutting down");
    controller.abort(new Error(reason));
    const timer = setTimeout(() => {
      log.error({ graceMs }, "shutdown grace period exceeded, exiting");
      process.exit(1);
    }, graceMs);
    timer.unref();
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.fn();
      } catch (err) {
        log.warn({ err, step: cleanup.name }, "cleanup step failed");
      }
    }
    clearTimeout(timer);
    resolveDone();
    return done;
  };

  process.once("SIGTERM", () => void run("SIGTERM"));
  process.once("SIGINT", () => void run("SIGINT"));
  return {
    signal: controller.signal,
    onShutdown: (name, fn) => {
      cleanups.push({ name, fn });
    },
    trigger: run,
    done,
  };
}
