import type { EnvReader } from "../../runtime/config/env-reader.js";
import { TributaryError } from "../../runtime/errors.js";

export type AuthMode = "required" | "off";

export interface AuthConfig {
  /**
   * AUTH_MODE: `required` — every Connect, gRPC, gRPC-Web and plain-HTTP call needs
   * `Authorization: Bearer <API key>` with the method's scope, and acts only within the key's
   * client id. `off` — no credential is asked (the local stack, so the seeds' curl commands work;
   * a warning is logged at start). Default `off`; the Kubernetes manifests set `required`.
   */
  readonly mode: AuthMode;
  /**
   * AUTH_KEY_CACHE_TTL_MS: how long a looked-up key is reused before Postgres is asked again, so
   * a revoked key is refused by every replica within this time. Default 5000.
   */
  readonly keyCacheTtlMs: number;
}

export const AUTH_ENV_VARS = ["AUTH_MODE", "AUTH_KEY_CACHE_TTL_MS"] as const;

export function readAuthConfig(env: EnvReader): AuthConfig {
  const mode = env.string("AUTH_MODE", "off");
  if (mode !== "required" && mode !== "off") {
    throw new TributaryError("config_invalid", `AUTH_MODE must be required or off, got "${mode}"`, {
      field: "AUTH_MODE",
    });
  }
  return { mode, keyCacheTtlMs: env.int("AUTH_KEY_CACHE_TTL_MS", 5_000, { min: 0, max: 300_000 }) };
}
