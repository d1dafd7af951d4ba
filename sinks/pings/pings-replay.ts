import type { Logger } from "../../runtime/observability/logger.js";
import { pgReplayTarget } from "../../runtime/replay/pg-replay-target.js";
import type { AnyReplayTarget } from "../../runtime/replay/replay-target.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { insertPings, pingsSinkProjection } from "./pings-sink.js";

/**
 * `tributary replay pings-sink`: rebuilds the `pings` table in a fresh schema with this flow's
 * migrations, then swaps rows and offsets of `consumer` (the live sink's group) in one transaction.
 */
export function pingsSinkReplayTarget(options: {
  databaseUrl: string;
  consumer: string;
  log: Logger;
}): AnyReplayTarget {
  return pgReplayTarget({
    projection: pingsSinkProjection,
    databaseUrl: options.databaseUrl,
    migrationsDir: migrationsDirBeside(import.meta.url),
    consumer: options.consumer,
    tables: ["pings"],
    apply: insertPings,
    log: options.log,
  }) as AnyReplayTarget;
}
