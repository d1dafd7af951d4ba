import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { TributaryError } from "../../runtime/errors.js";
import { OUTBOUND_ENV_VARS } from "../../runtime/outbound/outbound-config.js";
import {
  type DeliveryTuning,
  deliveryTuningVars,
  readDeliveryTuning,
} from "../../runtime/processor/delivery-service.js";
import { type RetrySchedule, validateRetrySchedule } from "../../runtime/processor/retry-schedule.js";

export const SERVICE_NAME = "callback-dispatcher";
export const DEFAULT_HTTP_PORT = 9104;
export const ENV_PREFIX = "CALLBACK_DISPATCHER";

export interface CallbackDispatcherConfig {
  /** CALLBACK_DISPATCHER_GROUP_ID, _FLUSH_INTERVAL_MS, _REQUEST_TIMEOUT_MS (5000), _MAX_CONCURRENT (64), _MAX_IN_FLIGHT, _SESSION_TIMEOUT_MS. */
  readonly tuning: DeliveryTuning;
  /**
   * CALLBACK_DISPATCHER_MAX_ATTEMPTS (8), _RETRY_BASE_MS (1000), _RETRY_MAX_DELAY_MS (60000): delays
   * double from the base up to the cap, each jittered within [d/2, d]; after the last attempt the
   * timeout goes to transactions.timeouts.dlq. Defaults give up after at most ~2 minutes.
   */
  readonly schedule: RetrySchedule;
}

export const DISPATCHER_ENV_VARS = [
  ...deliveryTuningVars(ENV_PREFIX),
  `${ENV_PREFIX}_MAX_ATTEMPTS`,
  `${ENV_PREFIX}_RETRY_BASE_MS`,
  `${ENV_PREFIX}_RETRY_MAX_DELAY_MS`,
];
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
    tuning: readDeliveryTuning(env, ENV_PREFIX, { groupId: defaultGroup, requestTimeoutMs: 5_000, maxConcurrent: 64 }),
    schedule,
  };
}
