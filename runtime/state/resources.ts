import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { postgresCheck, redisCheck } from "../observability/readiness.js";
import type { Platform } from "../platform.js";
import { migrate } from "./migrations.js";
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
  for (const dir of [migrationsDir(), ...flowMigrationDirs]) await migrate(pool, dir, platform.log);
  return pool;
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
