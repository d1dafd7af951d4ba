import { errorMessage } from "../errors.js";
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

export interface ShutdownOptions {
  /** Whole shutdown: past it the process exits with code 1. Default 25000 (Kubernetes gives 30 s). */
  readonly graceMs?: number;
  /**
   * One cleanup step: past it the step is logged as timed out and the next one runs. Default
   * 10000, so a hung client (kafkajs after a broker outage) cannot use up the whole grace period.
   */
  readonly stepTimeoutMs?: number;
  /**
   * After the last step: a process still alive this much later is ended with its exit code.
   * Default 2000. Clients that were closed but keep reconnect timers kept it alive until SIGKILL.
   */
  readonly lingerExitMs?: number;
  /** Process signals that start shutdown. Default SIGTERM and SIGINT (specs pass none). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Ends the process (specs pass a recorder). Default process.exit. */
  readonly exit?: (code: number) => void;
}

/** Graceful shutdown: one AbortController fed by process signals, cleanups in reverse order. */
export function installShutdown(log: Logger, options: ShutdownOptions = {}): Shutdown {
  const graceMs = options.graceMs ?? 25_000;
  const stepTimeoutMs = options.stepTimeoutMs ?? 10_000;
  const lingerExitMs = options.lingerExitMs ?? 2_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
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
    // Armed before anything else runs: nothing below may keep the process from ending.
    const grace = setTimeout(() => {
      log.error({ graceMs }, "shutdown grace period exceeded, exiting");
      exit(1);
    }, graceMs);
    grace.unref();
    controller.abort(new Error(reason));
    for (const cleanup of cleanups.reverse()) await runStep(log, cleanup, stepTimeoutMs);
    clearTimeout(grace);
    log.info({ reason }, "shutdown complete");
    resolveDone();
    // The exit code is read when the timer fires: a caller sets process.exitCode after trigger().
    setTimeout(() => {
      log.warn({ lingerExitMs }, "process still alive after shutdown (open handles), exiting");
      exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    }, lingerExitMs).unref();
    return done;
  };

  for (const name of options.signals ?? (["SIGTERM", "SIGINT"] as const)) process.once(name, () => void run(name));
  return {
    signal: controller.signal,
    onShutdown: (name, fn) => {
      cleanups.push({ name, fn });
    },
    trigger: run,
    done,
  };
}

/** One cleanup, bounded: a step that fails or hangs is logged and shutdown goes on. */
async function runStep(
  log: Logger,
  cleanup: { name: string; fn: () => Promise<void> | void },
  timeoutMs: number,
): Promise<void> {
  const startedAtMs = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      Promise.resolve()
        .then(cleanup.fn)
        .then(() => "done" as const),
      new Promise<"timed_out">((resolve) => {
        timer = setTimeout(() => resolve("timed_out"), timeoutMs);
      }),
    ]);
    if (outcome === "timed_out") log.warn({ step: cleanup.name, timeoutMs }, "cleanup step timed out; going on");
    else log.debug({ step: cleanup.name, tookMs: Date.now() - startedAtMs }, "cleanup step done");
  } catch (err) {
    log.warn({ err: errorMessage(err), step: cleanup.name }, "cleanup step failed");
  } finally {
    clearTimeout(timer);
  }
}
