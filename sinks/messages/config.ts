import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { TributaryError } from "../../runtime/errors.js";
import { processorTuningVars } from "../../runtime/processor/processor-service.js";
import { parseGoDurationMs } from "./go-duration.js";

export const SERVICE_NAME = "messages-sink";
export const DEFAULT_HTTP_PORT = 9108;
export const ENV_PREFIX = "MESSAGES_SINK";
/** Consumer group and `tributary_offsets` owner; the gateway reads the same variable to wait on it. */
export const SINK_GROUP_ID_VAR = `${ENV_PREFIX}_GROUP_ID`;
export const RETENTION_VAR = "MESSAGES_RETENTION";
export const CLEAN_INTERVAL_VAR = "MESSAGES_CLEAN_INTERVAL_MS";
export const ENV_VARS: readonly string[] = [
  ...platformEnvVars,
  ...processorTuningVars(ENV_PREFIX),
  RETENTION_VAR,
  CLEAN_INTERVAL_VAR,
];

/** The seed's DB_RETENTION_PERIOD default. */
export const DEFAULT_RETENTION = "168h";

/** MESSAGES_RETENTION: how long an event is kept (Go duration, default 168h). */
export function readRetentionMs(env: EnvReader): number {
  const ms = parseGoDurationMs(env.string(RETENTION_VAR, DEFAULT_RETENTION), RETENTION_VAR);
  if (ms <= 0) throw new TributaryError("config_invalid", "must be > 0", { field: RETENTION_VAR });
  return ms;
}

/**
 * MESSAGES_CLEAN_INTERVAL_MS: how often the sink writes a Clean command for the retention period.
 * Default 1 hour (expired events linger at most that long past the retention); 0 disables.
 */
export function readCleanIntervalMs(env: EnvReader): number {
  return env.int(CLEAN_INTERVAL_VAR, 3_600_000, { min: 0, max: 86_400_000 });
}
