import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (tests spawn compiled services from dist/). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Connection settings of the running local stack (exported by stack/env.sh; same defaults). */
export const stackEnv = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:19092",
  DATABASE_URL: process.env.DATABASE_URL ?? "postgres://tributary@127.0.0.1:15432/tributary",
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:16379",
  SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7",
} as const;

export const redisPort = Number(new URL(stackEnv.REDIS_URL).port);

/** A short id unique to this test run, for topic prefixes, groups, namespaces and databases. */
export function uniqueId(label: string): string {
  return `${label}${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}
