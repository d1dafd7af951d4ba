import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { TributaryError } from "../../runtime/errors.js";
import { OUTBOUND_ENV_VARS } from "../../runtime/outbound/outbound-config.js";
import { type RetrySchedule, validateRetrySchedule } from "../../runtime/processor/retry-schedule.js";

export const SERVICE_NAME = "callback-dispatcher";
export const DEFAULT_HTTP_PORT = 9104;
export const ENV_PREFIX = "CALLBACK_DISPATCHER";

export interface CallbackDispatcherConfig {
  /** CALLBACK_DISPATCHER_GROUP_ID: consumer group and offsets owner. Default "callback-dispatcher". */
  readonly groupId: string;
  /** CALLBACK_DISPATCHER_FLUSH_INTERVAL_MS: how often outcomes and offsets are committed. Default 200. */
  readonly flushIntervalMs: number;
  /**
   * CALLBACK_DISPATCHER_MAX_ATTEMPTS (8), _RETRY_BASE_MS (1000), _RETRY_MAX_DELAY_MS (60000): delays
   * double from the base up to the cap, each jittered within [d/2, d]; after the last attempt the
   * timeout goes to transactions.timeouts.dlq. Defaults give up after at most ~2 minutes.
   */
  readonly schedule: RetrySchedule;
  /** CALLBACK_DISPATCHER_REQUEST_TIMEOUT_MS: bound of one attempt. Default 5000. */
  readonly requestTimeoutMs: number;
  /** CALLBACK_DISPATCHER_MAX_CONCURRENT: attempts in flight at once. Default 64. */
  readonly maxConcurrent: number;
  /** CALLBACK_DISPATCHER_MAX_IN_FLIGHT: unfinished callbacks per partition before it pauses. Default 10000. */
  readonly maxInFlightPerPartition: number;
  /** CALLBACK_DISPATCHER_SESSION_TIMEOUT_MS: consumer session. Default 10000. */
  readonly sessionTimeoutMs: number;
}

export const DISPATCHER_ENV_VARS = [
  `${ENV_PREFIX}_GROUP_ID`,
  `${ENV_PREFIX}_FLUSH_INTERVAL_MS`,
  `${ENV_PREFIX}_MAX_ATTEMPTS`,
  `${ENV_PREFIX}_RETRY_BASE_MS`,
  `${ENV_PREFIX}_RETRY_MAX_DELAY_MS`,
  `${ENV_PREFIX}_REQUEST_TIMEOUT_MS`,
  `${ENV_PREFIX}_MAX_CONCURRENT`,
  `${ENV_PREFIX}_MAX_IN_FLIGHT`,
  `${ENV_PREFIX}_SESSION_TIMEOUT_MS`,
] as const;
/** Every variable this service reads (checked against k8s manifests by a test). */
export const ENV_VARS: readonly string[] = [...platformEnvVars, ...DISPATCHER_ENV_VARS, ...OUTBOUND_ENV_VARS];

export function readCallbackDispatcherConfig(env: EnvReader, defaultGroup: string): CallbackDispatcherConfig {
  const schedule = {
    maxAttempts: env.int(`${ENV_PREFIX}_MAX_ATTEMPTS`, 8, { min: 1, max: 1000 }),
    baseDelayMs: env.int(`${ENV_PREFIX}_RETRY_BASE_MS`, 1_000, { min: 1, max: 3_600_000 }),
    maxDelayMs: env.int(`${ENV_PREFIX}_RETRY_MAX_DELAY_MS`, 60_000, { min: 1, max: 86_400_000 }),
  };
  if (schedule.maxDelayMs < schedule.baseDelayMs) {
    const field = `${ENV_PREFIX}_RETRY_MAX_DELAY_MS`;
    throw new TributaryError(
      "config_invalid",
      `invalid configuration: ${field} must be >= ${ENV_PREFIX}_RETRY_BASE_MS`,
      {
        field,
      },
    );
  }
  validateRetrySchedule(schedule);
  return {
    groupId: env.string(`${ENV_PREFIX}_GROUP_ID`, defaultGroup),
    flushIntervalMs: env.int(`${ENV_PREFIX}_FLUSH_INTERVAL_MS`, 200, { min: 1, max: 600_000 }),
    schedule,
    requestTimeoutMs: env.int(`${ENV_PREFIX}_REQUEST_TIMEOUT_MS`, 5_000, { min: 1, max: 600_000 }),
    maxConcurrent: env.int(`${ENV_PREFIX}_MAX_CONCURRENT`, 64, { min: 1, max: 10_000 }),
    maxInFlightPerPartition: env.int(`${ENV_PREFIX}_MAX_IN_FLIGHT`, 10_000, { min: 1, max: 1_000_000 }),
    sessionTimeoutMs: env.int(`${ENV_PREFIX}_SESSION_TIMEOUT_MS`, 10_000, { min: 6_000, max: 300_000 }),
  };
}
