import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { processorTuningVars } from "../../runtime/processor/processor-service.js";

export const SERVICE_NAME = "notification-logger";
export const DEFAULT_HTTP_PORT = 9106;
/**
 * Env prefix of the tuning variables: NOTIFICATION_LOGGER_GROUP_ID (notification-logger),
 * _FLUSH_RECORDS (1000), _FLUSH_INTERVAL_MS (200: rows are queryable within ~0.2 s of the log line).
 */
export const ENV_PREFIX = "NOTIFICATION_LOGGER";
export const DEFAULT_FLUSH = { flushEveryRecords: 1000, flushIntervalMs: 200 } as const;
/** Every variable this service reads (checked against k8s manifests by a test). */
export const ENV_VARS: readonly string[] = [...platformEnvVars, ...processorTuningVars(ENV_PREFIX)];
