import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { PlatformConfig } from "../config/platform-config.js";
import type { Logger } from "../observability/logger.js";
import { postgresCheck, redisCheck } from "../observability/readiness.js";
import type { Platform } from "../platform.js";
import { migrate, verifyMigrations } from "./migrations.js";
import { migrationsDir, openPool } from "./pg-pool.js";
import { connectRedis } from "./redis-connection.js";

/**
 * The platform's Postgres for a flow: a pool closed on shutdown, with the runtime's migrations
 * (the offsets table) and then the flow's own folders applied, in order.
 */
export async function usePostgres(platform: Platform, ...flowMigrationDirs: string[]): Promise<Pool> {
  const pool = openPool(platform.config.databaseUrl);
  platform.shutdown.onShutdown("postgres", () => pool.end());
  platform.readiness.set("postgres", postgresCheck(pool));
  for (const dir of [migrationsDir(), ...flowMigrationDirs]) await prepareSchema(pool, dir, platform);
  return pool;
}

/**
 * A migrations folder as MIGRATIONS_MODE says: applied (`apply`, the local stack), or only checked
 * as applied and unchanged (`verify`, a role without DDL rights; `tributary migrate` applies them).
 */
export async function prepareSchema(
  pool: Pool,
  dir: string,
  platform: { config: Pick<PlatformConfig, "migrationsMode" | "migrationsWaitMs">; log: Logger },
): Promise<void> {
  if (platform.config.migrationsMode === "verify") {
    await verifyMigrations(pool, dir, platform.log, platform.config.migrationsWaitMs);
  } else {
    await migrate(pool, dir, platform.log);
  }
}

/** The platform's Dragonfly/Redis, closed on shutdown (after the consumer's final commit). */
export function useRedis(platform: Platform, options: { failFast?: boolean } = {}): Redis {
  const redis = connectRedis(platform.config.redisUrl, options);
  platform.readiness.set("redis", redisCheck(redis));
  platform.shutdown.onShutdown("redis", async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}
