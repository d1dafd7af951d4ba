import { randomUUID } from "node:crypto";
import { errorMessage } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/observability/logger.js";
import { type CleanWriter, writeCleanCommands } from "./clean-commands.js";

/**
 * The retention applied without anyone calling Clean: every interval the sink writes a Clean
 * command (cutoff = now − retention) to the topic, which the projection then applies like any
 * other. The clock only decides when a cutoff is written, never what a replay removes.
 */
export function startPeriodicClean(
  writer: CleanWriter,
  options: { readonly retentionMs: number; readonly intervalMs: number; readonly log: Logger },
  signal: AbortSignal,
): void {
  if (options.intervalMs === 0) return;
  const timer = setInterval(() => {
    const nowMs = Date.now();
    writeCleanCommands(writer, { cleanId: randomUUID(), cutoffMs: nowMs - options.retentionMs, nowMs }).then(
      (positions) => options.log.info({ partitions: positions.length }, "periodic clean written"),
      (err: unknown) =>
        options.log.warn({ err: errorMessage(err) }, "periodic clean not written; next interval retries"),
    );
  }, options.intervalMs);
  timer.unref();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
