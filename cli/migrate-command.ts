import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { EnvReader } from "../runtime/config/env-reader.js";
import { readPlatformConfig } from "../runtime/config/platform-config.js";
import { createStderrLogger } from "../runtime/observability/logger.js";
import { applyGrants, type RoleGrants } from "../runtime/state/grants.js";
import { migrate } from "../runtime/state/migrations.js";
import { openPool } from "../runtime/state/pg-pool.js";
import { serviceRegistry } from "../services/registry.js";
import type { ServiceEntry } from "../services/service-entry.js";

/** Every migration folder of the registry's services, each once, in declaration (= dependency) order. */
export function migrationFolders(registry: readonly ServiceEntry[]): string[] {
  const folders: string[] = [];
  for (const service of registry) {
    for (const folder of service.postgres?.migrations ?? []) if (!folders.includes(folder)) folders.push(folder);
  }
  return folders;
}

/** Each Postgres-using service's role (`<prefix><service name>`) and its declared tables. */
export function registryGrants(registry: readonly ServiceEntry[], rolePrefix: string): RoleGrants[] {
  return registry.flatMap((s) => (s.postgres ? [{ role: `${rolePrefix}${s.name}`, tables: s.postgres.tables }] : []));
}

/**
 * `tributary migrate`: applies every service's migrations as the connecting role (the owner), and
 * with --grants gives each service's own role exactly the tables it declares. On Kubernetes each
 * pod's init container runs it; the services then start with MIGRATIONS_MODE=verify.
 */
export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("apply every service's Postgres migrations (as the owner); --grants: per-service table grants")
    .option("--grants", "grant each service's role (see --role-prefix) exactly its declared tables")
    .option("--role-prefix <prefix>", "role name = prefix + service name", "")
    .action(async (options: { grants?: boolean; rolePrefix: string }) => {
      const config = readPlatformConfig(new EnvReader(), { serviceName: "tributary-migrate", httpPort: 0 });
      const log = createStderrLogger("tributary-migrate", process.env.LOG_LEVEL ?? "info");
      const pool = openPool(config.databaseUrl, 2);
      try {
        // dist/cli/ -> the repository root, where the migration folders (SQL) live.
        const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
        let applied = 0;
        for (const folder of migrationFolders(serviceRegistry))
          applied += (await migrate(pool, join(root, folder), log)).length;
        const granted = options.grants
          ? await applyGrants(pool, registryGrants(serviceRegistry, options.rolePrefix), log)
          : [];
        process.stdout.write(
          `${applied} migration(s) applied${options.grants ? `, grants for ${granted.length} role(s): ${granted.join(" ") || "-"}` : ""}\n`,
        );
      } finally {
        await pool.end();
      }
    });
}
