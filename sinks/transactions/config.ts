import { DEFAULT_MAX_EVENT_SKEW_MS } from "../../processors/transaction-timer/index.js";
import type { EnvReader } from "../../runtime/config/env-reader.js";
import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { processorTuningVars } from "../../runtime/processor/processor-service.js";

export const SERVICE_NAME = "transactions-sink";
export const DEFAULT_HTTP_PORT = 9105;
/** Env prefix of the tuning variables: TRANSACTIONS_SINK_FLUSH_RECORDS (1000), _FLUSH_INTERVAL_MS (1000), _GROUP_ID. */
export const ENV_PREFIX = "TRANSACTIONS_SINK";
export const ENV_VARS: readonly string[] = [
  ...platformEnvVars,
  ...processorTuningVars(ENV_PREFIX),
  "TRANSACTION_MAX_EVENT_SKEW_MS",
];

/** TRANSACTION_MAX_EVENT_SKEW_MS: the same limit as the timer's, so both dead-letter the same records. */
export function readMaxEventSkewMs(env: EnvReader): number {
  return env.int("TRANSACTION_MAX_EVENT_SKEW_MS", DEFAULT_MAX_EVENT_SKEW_MS, { min: 0 });
}
