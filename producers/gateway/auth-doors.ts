import type { Interceptor } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { Authenticator, authMigrationsDir, PgApiKeyStore, RedisTokenBucket } from "../../runtime/auth/index.js";
import type { Platform } from "../../runtime/platform.js";
import { prepareSchema } from "../../runtime/state/resources.js";
import { readAuthConfig } from "./auth-config.js";
import { authInterceptor, jsonRouteAuthenticate } from "./auth-guard.js";
import type { JsonRouteAuthenticate } from "./json-route.js";

export interface GatewayAuth {
  /** Interceptors to add to the Connect adapter (empty when AUTH_MODE=off). */
  readonly interceptors: Interceptor[];
  /** The plain-HTTP routes' hook (undefined when AUTH_MODE=off). */
  readonly authenticateJson: JsonRouteAuthenticate | undefined;
}

/**
 * Authentication of every door from AUTH_MODE: with `required`, the key table is migrated and
 * every call is checked against it; with `off`, nothing is checked and a warning says so.
 */
export async function gatewayAuth(platform: Platform, pool: Pool, redis: Redis): Promise<GatewayAuth> {
  const config = readAuthConfig(platform.env);
  if (config.mode === "off") {
    platform.log.warn(
      "AUTH_MODE=off: no front door asks for a credential and any caller acts as any client; set AUTH_MODE=required outside a laptop",
    );
    return { interceptors: [], authenticateJson: undefined };
  }
  await prepareSchema(pool, authMigrationsDir(), platform);
  const store = new PgApiKeyStore(pool);
  const bucket = new RedisTokenBucket(redis, `${platform.config.stateNamespace}ratelimit:`);
  const authenticator = new Authenticator({
    findKey: (keyId) => store.find(keyId),
    takeToken: (keyId, rate, burst) => bucket.take(keyId, rate, burst),
    cacheTtlMs: config.keyCacheTtlMs,
  });
  platform.log.info({ keyCacheTtlMs: config.keyCacheTtlMs }, "AUTH_MODE=required: API keys checked on every door");
  return { interceptors: [authInterceptor(authenticator)], authenticateJson: jsonRouteAuthenticate(authenticator) };
}
