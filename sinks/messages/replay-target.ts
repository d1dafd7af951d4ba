import type { Logger } from "../../runtime/observability/logger.js";
import { pgReplayTarget } from "../../runtime/replay/pg-replay-target.js";
import type { AnyReplayTarget } from "../../runtime/replay/replay-target.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { applyMessageOps, MESSAGES_TABLES, messagesSinkProjection } from "./messages-sink.js";

/**
 * `tributary replay messages-sink`: rebuilds `messages` and `messages_cleans` in a fresh schema,
 * then swaps rows and offsets of `consumer` (the live sink's group) in one transaction. Clean
 * commands carry their cutoff, so the rebuilt table is the live one, row for row.
 */
export function messagesReplayTarget(options: {
  readonly databaseUrl: string;
  readonly consumer: string;
  readonly log: Logger;
}): AnyReplayTarget {
  return pgReplayTarget({
    projection: messagesSinkProjection,
    databaseUrl: options.databaseUrl,
    migrationsDir: migrationsDirBeside(import.meta.url),
    consumer: options.consumer,
    tables: MESSAGES_TABLES,
    apply: applyMessageOps,
    log: options.log,
  }) as AnyReplayTarget;
}
