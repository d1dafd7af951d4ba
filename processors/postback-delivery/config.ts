import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { TributaryError } from "../../runtime/errors.js";
import { OUTBOUND_ENV_VARS, type OutboundConfig, readOutboundConfig } from "../../runtime/outbound/outbound-config.js";
import {
  type DeliveryTuning,
  deliveryTuningVars,
  readDeliveryTuning,
} from "../../runtime/processor/delivery-service.js";
import { type RetrySchedule, validateRetrySchedule } from "../../runtime/processor/retry-schedule.js";
import { parseSigningSecrets, type SigningKey } from "./webhook-signature.js";

export const SERVICE_NAME = "postback-delivery";
export const DEFAULT_HTTP_PORT = 9110;
export const ENV_PREFIX = "POSTBACK_DELIVERY";

/** Svix's schedule after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts, ~27.5 h). */
export const SVIX_DELAYS_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

export interface PostbackDeliveryConfig {
  /** POSTBACK_DELIVERY_GROUP_ID, _FLUSH_INTERVAL_MS, _REQUEST_TIMEOUT_MS (15000: connect to last excerpt byte), _MAX_CONCURRENT (256), _MAX_IN_FLIGHT, _SESSION_TIMEOUT_MS. */
  readonly tuning: DeliveryTuning;
  /**
   * POSTBACK_DELIVERY_RETRY_DELAYS_MS: comma-separated nominal delays after failure 1, 2, ...
   * (the last repeats), each with equal jitter (a pick in [d/2, d]). Default Svix's schedule.
   * POSTBACK_DELIVERY_MAX_ATTEMPTS: attempts in total, the first included. Default: one more than
   * the delays listed (8). After the last failure the delivery goes to postbacks.dlq.
   */
  readonly schedule: RetrySchedule;
  /** POSTBACK_DELIVERY_EXCERPT_BYTES: response body bytes kept per attempt in the log. Default 1024. */
  readonly excerptBytes: number;
  /**
   * POSTBACK_DELIVERY_SIGNING_SECRETS: comma-separated Standard Webhooks secrets (`whsec_...`);
   * every one signs (rotation: add the new one, remove the old one once receivers switched).
   * Default none: no webhook-signature header.
   */
  readonly signingKeys: readonly SigningKey[];
  /** POSTBACK_DELIVERY_METRICS_INTERVAL_MS: how often the retry-queue gauges are read from Postgres. Default 5000. */
  readonly metricsIntervalMs: number;
  readonly outbound: OutboundConfig;
}

const vars = ["RETRY_DELAYS_MS", "MAX_ATTEMPTS", "EXCERPT_BYTES", "SIGNING_SECRETS", "METRICS_INTERVAL_MS"] as const;
export const POSTBACK_DELIVERY_ENV_VARS: readonly string[] = [
  ...deliveryTuningVars(ENV_PREFIX),
  ...vars.map((v) => `${ENV_PREFIX}_${v}`),
];
/** Every variable this service reads. */
export const ENV_VARS: readonly string[] = [...platformEnvVars, ...POSTBACK_DELIVERY_ENV_VARS, ...OUTBOUND_ENV_VARS];

export function readPostbackDeliveryConfig(env: EnvReader): PostbackDeliveryConfig {
  const delaysVar = `${ENV_PREFIX}_RETRY_DELAYS_MS`;
  const delaysMs = env.list(delaysVar, SVIX_DELAYS_MS.map(String)).map((text) => {
    if (!/^\d+$/.test(text)) {
      throw new TributaryError(
        "config_invalid",
        `invalid configuration: ${delaysVar} must list integers, got "${text}"`,
        {
          field: delaysVar,
        },
      );
    }
    return Number(text);
  });
  const schedule = validateRetrySchedule({
    maxAttempts: env.int(`${ENV_PREFIX}_MAX_ATTEMPTS`, delaysMs.length + 1, { min: 1, max: 1_000 }),
    baseDelayMs: Math.max(1, delaysMs[0] ?? 1),
    maxDelayMs: Math.max(1, delaysMs[0] ?? 1, ...delaysMs),
    delaysMs,
  });
  return {
    tuning: readDeliveryTuning(env, ENV_PREFIX, {
      groupId: SERVICE_NAME,
      requestTimeoutMs: 15_000,
      maxConcurrent: 256,
    }),
    schedule,
    excerptBytes: env.int(`${ENV_PREFIX}_EXCERPT_BYTES`, 1_024, { min: 0, max: 1_048_576 }),
    signingKeys: parseSigningSecrets(env.list(`${ENV_PREFIX}_SIGNING_SECRETS`, []), `${ENV_PREFIX}_SIGNING_SECRETS`),
    metricsIntervalMs: env.int(`${ENV_PREFIX}_METRICS_INTERVAL_MS`, 5_000, { min: 100, max: 600_000 }),
    outbound: readOutboundConfig(env),
  };
}
