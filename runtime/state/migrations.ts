import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pool, PoolClient } from "pg";
import { TributaryError } from "../errors.js";
import type { Logger } from "../observability/logger.js";

interface MigrationFile {
  readonly version: string;
  readonly sql: string;
  readonly checksum: string;
}

/**
 * Applies versioned migrations (`NNN_name.sql`, ascending) once each, in one transaction per
 * file, under an advisory lock so concurrently starting services do not race. Each applied file's
 * sha256 is recorded; an applied file that changed since fails start-up naming the file, because
 * the change would otherwise be skipped silently and databases would differ by their age.
 * Rows recorded before checksums existed take the file's current checksum on the first run.
 */
export async function migrate(pool: Pool, dir: string, log: Logger): Promise<string[]> {
  const files = readMigrations(dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('tributary_migrations'))");
    const recorded = await recordedChecksums(client);
    // Verify every applied file before applying anything new.
    for (const file of files) {
      if (!recorded.has(file.version)) continue;
      const checksum = recorded.get(file.version);
      if (checksum === null) {
        await client.query("UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL", [
          file.version,
          file.checksum,
        ]);
        log.info({ migration: file.version }, "migration checksum recorded");
      } else if (checksum !== file.checksum) {
        throw new TributaryError(
          "config_invalid",
          `migration ${join(dir, file.version)} changed after it was applied (sha256 ${checksum} applied, ` +
            `${file.checksum} now): restore the file and put the change in a new migration`,
          { field: file.version },
        );
      }
    }
    for (const file of files) {
      if (recorded.has(file.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(file.sql);
        await client.query("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", [
          file.version,
          file.checksum,
        ]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
      applied.push(file.version);
      log.info({ migration: file.version }, "migration applied");
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext('tributary_migrations'))").catch(() => undefined);
    client.release();
  }
  return applied;
}

function readMigrations(dir: string): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort()
    .map((version) => {
      const sql = readFileSync(join(dir, version), "utf8");
      return { version, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Applied versions and their checksums (null: applied before checksums were recorded). */
async function recordedChecksums(client: PoolClient): Promise<Map<string, string | null>> {
  await client.query(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
  );
  await client.query("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text");
  const rows = await client.query<{ version: string; checksum: string | null }>(
    "SELECT version, checksum FROM schema_migrations",
  );
  return new Map(rows.rows.map((r) => [r.version, r.checksum]));
}
