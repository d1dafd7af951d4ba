import type { Logger } from "../../runtime/observability/logger.js";
import { pgReplayTarget } from "../../runtime/replay/pg-replay-target.js";
import type { AnyReplayTarget } from "../../runtime/replay/replay-target.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { notificationLoggerProjection } from "./notification-projection.js";
import { insertNotifications } from "./notification-rows.js";

/**
 * `tributary replay notification-logger`: rebuilds the `notifications` table in a fresh schema,
 * then swaps rows and offsets of `consumer` (the live logger's group) in one transaction. The
 * per-record log lines go to `log` at info level (silent at the CLI's default warn).
 */
export function notificationLoggerReplayTarget(options: {
  databaseUrl: string;
  consumer: string;
  log: Logger;
}): AnyReplayTarget {
  return pgReplayTarget({
    projection: notificationLoggerProjection(options.log),
    databaseUrl: options.databaseUrl,
    migrationsDir: migrationsDirBeside(import.meta.url),
    consumer: options.consumer,
    tables: ["notifications"],
    apply: insertNotifications,
    log: options.log,
  }) as AnyReplayTarget;
}
