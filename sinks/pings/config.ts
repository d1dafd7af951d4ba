import { platformEnvVars } from "../../runtime/config/platform-config.js";
import { processorTuningVars } from "../../runtime/processor/processor-service.js";

export const SERVICE_NAME = "pings-sink";
export const DEFAULT_HTTP_PORT = 9102;
export const ENV_PREFIX = "PINGS_SINK";
export const ENV_VARS: readonly string[] = [...platformEnvVars, ...processorTuningVars(ENV_PREFIX)];
