import type { EnvReader } from "./env-reader.js";
import { type KafkaSecurity, kafkaSecurityEnvVars, readKafkaSecurity } from "./kafka-security.js";

/** Settings every Tributary process shares. Each field documents its variable and default. */
export interface PlatformConfig {
  /** SERVICE_NAME: name in logs and metrics. Default: the entry point's own name. */
  readonly serviceName: string;
  /** KAFKA_BROKERS: comma-separated host:port list. Default: the local stack's broker. */
  readonly kafkaBrokers: readonly string[];
  /** KAFKA_CLIENT_ID: Kafka client id prefix. Default: "tributary". */
  readonly kafkaClientId: string;
  /**
   * KAFKA_CONSUMER_STALL_MS: a consumer without any fetch, heartbeat or rejoin for this long fails
   * (the service exits non-zero and is restarted). Default 60000: kafkajs fetches at least every
   * second, even with every partition paused, so a minute of silence is a consumer that is stuck.
   */
  readonly kafkaConsumerStallMs: number;
  /** KAFKA_SASL_* and KAFKA_TLS* (runtime/config/kafka-security.ts). Default: plaintext, no SASL. */
  readonly kafkaSecurity: KafkaSecurity;
  /** DATABASE_URL: Postgres connection URL. Default: the local stack's database. */
  readonly databaseUrl: string;
  /** REDIS_URL: Dragonfly (or Redis) URL. Default: the local stack's Redis. */
  readonly redisUrl: string;
  /** SCHEMA_REGISTRY_URL: Confluent-compatible registry base URL. Default: local Apicurio ccompat. */
  readonly schemaRegistryUrl: string;
  /** LOG_LEVEL: pino level. Default: "info". */
  readonly logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** HTTP_PORT: port of the service's HTTP server (health, metrics, APIs). 0 picks a free port. */
  readonly httpPort: number;
  /** HTTP_HOST: address to listen on. Default: 127.0.0.1 locally; set 0.0.0.0 in containers. */
  readonly httpHost: string;
  /** TOPIC_PREFIX: prefix of every catalog topic name, so test runs can share one broker. Default: "". */
  readonly topicPrefix: string;
  /** STATE_NAMESPACE: prefix of every Dragonfly key, so test runs can share one server. Default: "". */
  readonly stateNamespace: string;
  /**
   * MIGRATIONS_MODE: `apply` (default, the local stack: a service creates its own tables at start)
   * or `verify` (Kubernetes: `tributary migrate` ran them as the owner in the pod's init container;
   * the service, a role without DDL rights, only checks every file is applied and unchanged).
   */
  readonly migrationsMode: "apply" | "verify";
  /** MIGRATIONS_WAIT_MS: with `verify`, how long start-up waits for missing migrations. Default 120000. */
  readonly migrationsWaitMs: number;
}

export const platformEnvVars = [
  "SERVICE_NAME",
  "KAFKA_BROKERS",
  "KAFKA_CLIENT_ID",
  "KAFKA_CONSUMER_STALL_MS",
  ...kafkaSecurityEnvVars,
  "DATABASE_URL",
  "REDIS_URL",
  "SCHEMA_REGISTRY_URL",
  "LOG_LEVEL",
  "HTTP_PORT",
  "HTTP_HOST",
  "TOPIC_PREFIX",
  "STATE_NAMESPACE",
  "MIGRATIONS_MODE",
  "MIGRATIONS_WAIT_MS",
] as const;

export function readPlatformConfig(
  env: EnvReader,
  defaults: { serviceName: string; httpPort: number },
): PlatformConfig {
  return {
    serviceName: env.string("SERVICE_NAME", defaults.serviceName),
    kafkaBrokers: env.list("KAFKA_BROKERS", ["127.0.0.1:19092"]),
    kafkaClientId: env.string("KAFKA_CLIENT_ID", "tributary"),
    kafkaConsumerStallMs: env.int("KAFKA_CONSUMER_STALL_MS", 60_000, { min: 1_000, max: 3_600_000 }),
    kafkaSecurity: readKafkaSecurity(env),
    databaseUrl: env.url("DATABASE_URL", "postgres://tributary@127.0.0.1:15432/tributary", [
      "postgres:",
      "postgresql:",
    ]),
    redisUrl: env.url("REDIS_URL", "redis://127.0.0.1:16379", ["redis:", "rediss:"]),
    schemaRegistryUrl: env.url("SCHEMA_REGISTRY_URL", "http://127.0.0.1:18081/apis/ccompat/v7", ["http:", "https:"]),
    logLevel: env.oneOf("LOG_LEVEL", "info", ["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
    httpPort: env.port("HTTP_PORT", defaults.httpPort),
    httpHost: env.string("HTTP_HOST", "127.0.0.1"),
    topicPrefix: env.string("TOPIC_PREFIX", ""),
    stateNamespace: env.string("STATE_NAMESPACE", ""),
    migrationsMode: env.oneOf("MIGRATIONS_MODE", "apply", ["apply", "verify"]),
    migrationsWaitMs: env.int("MIGRATIONS_WAIT_MS", 120_000, { min: 0, max: 3_600_000 }),
  };
}
