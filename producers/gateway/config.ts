import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { OUTBOUND_ENV_VARS } from "../../runtime/outbound/outbound-config.js";
import { AUTH_ENV_VARS } from "./auth-config.js";
import { MESSAGE_SERVICE_ENV_VARS } from "./message-config.js";
import { PING_BATCH_ENV_VARS } from "./ping-batch-config.js";
import { POSTBACK_ENV_VARS } from "./postback-config.js";

export const SERVICE_NAME = "gateway";
export const DEFAULT_HTTP_PORT = 8080;

export interface GatewayConfig {
  /**
   * METRICS_PORT: serve /metrics on this port only, not on the public one (Kubernetes sets it so
   * the API port exposes no internals). Unset (the local stack): /metrics on the public port.
   */
  readonly metricsPort: number | null;
  /** PING_MAX_FUTURE_MS: how far ahead of now a ping's timestamp may be. Default 1 day. */
  readonly pingMaxFutureMs: number;
  /** PING_COUNT_MAX_MINUTES: widest per-minute range PingCount answers. Default 44640 (31 days). */
  readonly pingCountMaxMinutes: number;
  /** REDIS_COMMAND_TIMEOUT_MS: a PingCount read slower than this falls back to Postgres. Default 300. */
  readonly redisCommandTimeoutMs: number;
  /** TRANSACTION_MAX_TIMEOUT_SECONDS: longest timeout a Start may ask for. Default 86400 (1 day). */
  readonly transactionMaxTimeoutSeconds: number;
  /** TRANSACTION_MAX_PAYLOAD_BYTES: largest Start payload (JSON text or bytes). Default 65536. */
  readonly transactionMaxPayloadBytes: number;
  /**
   * TRANSACTION_LIST_PENDING_WAIT_MS: how long ListPending waits for the timer to apply every Start
   * and Stop accepted before the call (read-your-writes), before answering with caught_up=false.
   * Default 2000: the timer commits every 200 ms, so a healthy one needs far less.
   */
  readonly listPendingWaitMs: number;
  /**
   * GATEWAY_READ_MAX_BYTES: largest request message on Connect, gRPC and gRPC-Web (after
   * decompression); a larger one is refused `resource_exhausted` naming the limit. Default 1 MiB:
   * the broker's default message size, and far above every legitimate request (a Start payload is
   * capped at 64 KiB). Routes with their own smaller limit (POST /event, postbacks) keep it.
   */
  readonly readMaxBytes: number;
  /**
   * GATEWAY_PRODUCE_TIMEOUT_MS: longest a write waits for the broker's ack before answering
   * `unavailable` (a shorter caller deadline answers `deadline_exceeded` first). Default 5000: a
   * healthy ack takes milliseconds, and a broker failover settles within a few seconds.
   */
  readonly produceTimeoutMs: number;
  /**
   * GATEWAY_HEADERS_TIMEOUT_MS: time a client has to send the request headers (slowloris).
   * Default 10000.
   */
  readonly headersTimeoutMs: number;
  /**
   * GATEWAY_REQUEST_TIMEOUT_MS: time a client has to send a whole HTTP/1.1 request. Default 30000:
   * a 1 MiB body over a slow link, with room to spare.
   */
  readonly requestTimeoutMs: number;
  /**
   * GATEWAY_MAX_CONCURRENT_STREAMS: HTTP/2 streams one gRPC connection may have open at once.
   * Default 256: enough for a multiplexing client, bounded against a flood of streams.
   */
  readonly maxConcurrentStreams: number;
  /**
   * IDEMPOTENCY_WINDOW_MS: how long a write's Idempotency-Key is remembered (its first answer is
   * returned to every retry, the write counted once). Default 86400000 (24 h): longer than any
   * client's retry schedule, short enough that the result cache stays small.
   */
  readonly idempotencyWindowMs: number;
}

export const GATEWAY_ENV_VARS = [
  "PING_MAX_FUTURE_MS",
  "PING_COUNT_MAX_MINUTES",
  "REDIS_COMMAND_TIMEOUT_MS",
  "TRANSACTION_MAX_TIMEOUT_SECONDS",
  "TRANSACTION_MAX_PAYLOAD_BYTES",
  "TRANSACTION_LIST_PENDING_WAIT_MS",
  "METRICS_PORT",
  "GATEWAY_READ_MAX_BYTES",
  "GATEWAY_PRODUCE_TIMEOUT_MS",
  "GATEWAY_HEADERS_TIMEOUT_MS",
  "GATEWAY_REQUEST_TIMEOUT_MS",
  "GATEWAY_MAX_CONCURRENT_STREAMS",
  "IDEMPOTENCY_WINDOW_MS",
] as const;
export const ENV_VARS: readonly string[] = [
  ...platformEnvVars,
  ...GATEWAY_ENV_VARS,
  ...MESSAGE_SERVICE_ENV_VARS,
  ...PING_BATCH_ENV_VARS,
  ...POSTBACK_ENV_VARS,
  ...OUTBOUND_ENV_VARS,
  ...AUTH_ENV_VARS,
];

export function readGatewayConfig(env: EnvReader): GatewayConfig {
  return {
    metricsPort: env.has("METRICS_PORT") ? env.port("METRICS_PORT", 0) : null,
    pingMaxFutureMs: env.int("PING_MAX_FUTURE_MS", 86_400_000, { min: 0 }),
    pingCountMaxMinutes: env.int("PING_COUNT_MAX_MINUTES", 44_640, { min: 1, max: 1_000_000 }),
    redisCommandTimeoutMs: env.int("REDIS_COMMAND_TIMEOUT_MS", 300, { min: 10, max: 60_000 }),
    transactionMaxTimeoutSeconds: env.int("TRANSACTION_MAX_TIMEOUT_SECONDS", 86_400, { min: 1, max: 31_536_000 }),
    transactionMaxPayloadBytes: env.int("TRANSACTION_MAX_PAYLOAD_BYTES", 65_536, { min: 0, max: 900_000 }),
    listPendingWaitMs: env.int("TRANSACTION_LIST_PENDING_WAIT_MS", 2_000, { min: 0, max: 60_000 }),
    readMaxBytes: env.int("GATEWAY_READ_MAX_BYTES", 1_048_576, { min: 1_024, max: 67_108_864 }),
    produceTimeoutMs: env.int("GATEWAY_PRODUCE_TIMEOUT_MS", 5_000, { min: 100, max: 120_000 }),
    headersTimeoutMs: env.int("GATEWAY_HEADERS_TIMEOUT_MS", 10_000, { min: 1_000, max: 600_000 }),
    requestTimeoutMs: env.int("GATEWAY_REQUEST_TIMEOUT_MS", 30_000, { min: 1_000, max: 3_600_000 }),
    maxConcurrentStreams: env.int("GATEWAY_MAX_CONCURRENT_STREAMS", 256, { min: 1, max: 65_535 }),
    idempotencyWindowMs: env.int("IDEMPOTENCY_WINDOW_MS", 86_400_000, { min: 1_000, max: 2_592_000_000 }),
  };
}
