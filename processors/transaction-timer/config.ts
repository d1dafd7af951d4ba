import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { processorTuningVars } from "../../runtime/processor/processor-service.js";
import { DEFAULT_MAX_EVENT_SKEW_MS } from "./transaction-event-rules.js";

export const SERVICE_NAME = "transaction-timer";
export const DEFAULT_HTTP_PORT = 9103;
/** Env prefix of the tuning variables: TRANSACTION_TIMER_FLUSH_RECORDS (1000), _FLUSH_INTERVAL_MS (200), _GROUP_ID. */
export const ENV_PREFIX = "TRANSACTION_TIMER";
/** Commits of applied Starts/Stops this often: ListPending waits for them. Fired timers commit at once. */
export const DEFAULT_FLUSH = { flushEveryRecords: 1000, flushIntervalMs: 200 } as const;

export interface TransactionTimerConfig {
  /**
   * TRANSACTION_TIMER_ALLOWED_LATENESS_MS: watermark = largest event time − this. Bounds how long a
   * Stop may take from the gateway's clock to the log and still cancel its timer (and clock skew
   * between gateways). Default 500: latency to a callback is this plus the tick; raise it when
   * several gateways with skewed clocks write Starts and Stops.
   */
  readonly allowedLatenessMs: number;
  /** TRANSACTION_TIMER_TICK_INTERVAL_MS: how often idle partitions are checked for catch-up. Default 200. */
  readonly tickIntervalMs: number;
  /** TRANSACTION_TIMER_SESSION_TIMEOUT_MS: consumer session; a dead instance holds its partitions this long. Default 10000. */
  readonly sessionTimeoutMs: number;
  /** TRANSACTION_MAX_EVENT_SKEW_MS: event times further ahead of the record timestamp go to the DLQ. Default 60000. */
  readonly maxEventSkewMs: number;
  /**
   * TRANSACTION_MAX_TIMEOUT_SECONDS: the longest timeout a Start may have (the gateway's limit,
   * same variable and default, 86400). Bounds the rebuild after lost state: only Starts younger
   * than this + lateness + skew can still be pending, so older records are not re-read.
   */
  readonly maxTimeoutSeconds: number;
}

export const TIMER_ENV_VARS = [
  `${ENV_PREFIX}_ALLOWED_LATENESS_MS`,
  `${ENV_PREFIX}_TICK_INTERVAL_MS`,
  `${ENV_PREFIX}_SESSION_TIMEOUT_MS`,
  "TRANSACTION_MAX_EVENT_SKEW_MS",
  "TRANSACTION_MAX_TIMEOUT_SECONDS",
] as const;
/** Every variable this service reads (checked against k8s manifests by a test). */
export const ENV_VARS: readonly string[] = [...platformEnvVars, ...processorTuningVars(ENV_PREFIX), ...TIMER_ENV_VARS];

export function readTransactionTimerConfig(env: EnvReader): TransactionTimerConfig {
  return {
    allowedLatenessMs: env.int(`${ENV_PREFIX}_ALLOWED_LATENESS_MS`, 500, { min: 0, max: 3_600_000 }),
    tickIntervalMs: env.int(`${ENV_PREFIX}_TICK_INTERVAL_MS`, 200, { min: 10, max: 60_000 }),
    sessionTimeoutMs: env.int(`${ENV_PREFIX}_SESSION_TIMEOUT_MS`, 10_000, { min: 6_000, max: 300_000 }),
    maxEventSkewMs: env.int("TRANSACTION_MAX_EVENT_SKEW_MS", DEFAULT_MAX_EVENT_SKEW_MS, { min: 0 }),
    maxTimeoutSeconds: env.int("TRANSACTION_MAX_TIMEOUT_SECONDS", 86_400, { min: 1, max: 31_536_000 }),
  };
}

/** How far back a Start can be (record timestamp) and still be pending: the rebuild's look-back. */
export function rebuildLookbackMs(config: TransactionTimerConfig): number {
  return config.maxTimeoutSeconds * 1000 + config.allowedLatenessMs + config.maxEventSkewMs;
}
