import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { processorTuningVars } from "../../runtime/processor/processor-service.js";

export const SERVICE_NAME = "ping-counter";
export const DEFAULT_HTTP_PORT = 9101;
/** Env prefix of the tuning variables: PING_COUNTER_FLUSH_RECORDS (1000), _FLUSH_INTERVAL_MS (1000), _GROUP_ID. */
export const ENV_PREFIX = "PING_COUNTER";
/**
 * IDEMPOTENCY_WINDOW_MS: how long a keyed ping's id is remembered (as the gateway's window).
 * Default 86400000 (24 h).
 */
export const IDEMPOTENCY_WINDOW_VAR = "IDEMPOTENCY_WINDOW_MS";
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 86_400_000;
/** Every variable this service reads (checked against k8s manifests by a test). */
export const ENV_VARS: readonly string[] = [
  ...platformEnvVars,
  ...processorTuningVars(ENV_PREFIX),
  IDEMPOTENCY_WINDOW_VAR,
];
