import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { TributaryError } from "../errors.js";

/** Postgres pool with bounded connection wait, so an outage surfaces as an error, not a hang. */
export function openPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away (Postgres restarted, killed, failed over) is dropped by
  // the pool, which then emits 'error'; unhandled, that kills the process (postgres-restart-chaos
  // found it). The next query gets a new connection, or the outage as its own error, and /readyz
  // reports Postgres down meanwhile.
  pool.on("error", () => undefined);
  return pool;
}

function repoRootOf(start: string): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new TributaryError("config_invalid", `no package.json above ${start}`);
}

/**
 * The `migrations/` folder beside a module (pass `import.meta.url`), found in the source tree
 * also when the module runs from `dist/`: each flow owns its migrations, next to its code.
 */
export function migrationsDirBeside(moduleUrl: string): string {
  const moduleDir = dirname(fileURLToPath(moduleUrl));
  const root = repoRootOf(moduleDir);
  const rel = relative(root, moduleDir).split(sep);
  const sourceRel = rel[0] === "dist" ? rel.slice(1) : rel;
  const dir = join(root, ...sourceRel, "migrations");
  if (!existsSync(dir)) throw new TributaryError("config_invalid", `migrations folder not found: ${dir}`);
  return dir;
}

/**
 * The runtime's own migrations (`runtime/state/migrations`): the shared `tributary_offsets` table
 * every PgStateStore writes. A flow's main.ts applies this folder first, then its own
 * (`migrationsDirBeside(import.meta.url)`).
 */
export function migrationsDir(): string {
  return migrationsDirBeside(import.meta.url);
}
