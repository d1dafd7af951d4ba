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

/**
 * For a service whose role may not run DDL (MIGRATIONS_MODE=verify): waits until every file of
 * `dir` is recorded in schema_migrations with the file's checksum (`tributary migrate` applies
 * them as the owner), logging what it waits for; fails after waitMs naming the missing files.
 */
export async function verifyMigrations(pool: Pool, dir: string, log: Logger, waitMs: number): Promise<void> {
  const files = readMigrations(dir);
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    const problems = await verificationProblems(pool, files, dir);
    if (problems.length === 0) return;
    if (problems.some((p) => p.changed)) {
      throw new TributaryError("config_invalid", problems.map((p) => p.message).join("; "), {
        field: problems[0]?.version ?? dir,
      });
    }
    if (Date.now() >= deadline) {
      throw new TributaryError(
        "config_invalid",
        `migrations not applied after ${waitMs} ms: ${problems.map((p) => p.version).join(", ")} in ${dir} ` +
          "(MIGRATIONS_MODE=verify: run `tributary migrate` as the database owner)",
        { field: problems[0]?.version ?? dir },
      );
    }
    if (attempt === 1 || attempt % 15 === 0) {
      log.warn(
        { missing: problems.map((p) => p.version), dir },
        "waiting for migrations (MIGRATIONS_MODE=verify: `tributary migrate` applies them as the owner)",
      );
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

async function verificationProblems(
  pool: Pool,
  files: readonly MigrationFile[],
  dir: string,
): Promise<{ version: string; changed: boolean; message: string }[]> {
  let recorded: Map<string, string | null>;
  try {
    const rows = await pool.query<{ version: string; checksum: string | null }>(
      "SELECT version, checksum FROM schema_migrations",
    );
    recorded = new Map(rows.rows.map((r) => [r.version, r.checksum]));
  } catch (err) {
    // 42P01: no schema_migrations yet (nothing migrated at all).
    if ((err as { code?: string }).code !== "42P01") throw err;
    recorded = new Map();
  }
  return files.flatMap((file): { version: string; changed: boolean; message: string }[] => {
    if (!recorded.has(file.version)) return [{ version: file.version, changed: false, message: "not applied" }];
    const checksum = recorded.get(file.version);
    if (checksum !== null && checksum !== file.checksum) {
      return [
        {
          version: file.version,
          changed: true,
          message: `migration ${join(dir, file.version)} differs from the applied one (sha256 ${checksum} applied, ${file.checksum} here)`,
        },
      ];
    }
    return [];
  });
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
