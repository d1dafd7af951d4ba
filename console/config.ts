import type { EnvReader } from "../runtime/config/env-reader.js";
import { platformEnvVars } from "../runtime/config/platform-config.js";
import { TributaryError } from "../runtime/errors.js";

export const SERVICE_NAME = "console";
export const DEFAULT_HTTP_PORT = 8090;

/** Settings of the console; each field names its variable and default. */
export interface ConsoleConfig {
  /**
   * CONSOLE_REFRESH_INTERVAL_MS: how often an open page gets fresh numbers over server-sent events.
   * Default 1000: the issue asks for ≤ 1 s; nothing is polled while no page is open.
   */
  readonly refreshIntervalMs: number;
  /**
   * CONSOLE_REDRIVE_TOKEN: the token the DLQ redrive (the console's only write) asks for. Default
   * empty: redrive is off and the console is read-only.
   */
  readonly redriveToken: string;
  /**
   * CONSOLE_SERVICE_URL_TEMPLATE: base URL of another service's HTTP server, `{name}` and `{port}`
   * replaced (its /readyz gives the health badge; the gateway answers PingCount and ListPending).
   * Default `http://127.0.0.1:{port}` (the local stack); Kubernetes: `http://{name}:{port}`.
   */
  readonly serviceUrlTemplate: string;
  /** CONSOLE_SERVICE_URLS: `name=url,...` overrides per service (tests run services on free ports). */
  readonly serviceUrls: ReadonlyMap<string, string>;
  /**
   * CONSOLE_SERVICE_GROUPS: `name=group,...` when a processor runs with another `<PREFIX>_GROUP_ID`
   * than its registry default (its Postgres offsets are stored under the group id).
   */
  readonly serviceGroups: ReadonlyMap<string, string>;
  /** CONSOLE_PROBE_TIMEOUT_MS: a /readyz without an answer by then shows the service as down. Default 1000. */
  readonly probeTimeoutMs: number;
  /** CONSOLE_BROWSE_MAX_RECORDS: most records one topic-browser page shows. Default 200. */
  readonly browseMaxRecords: number;
  /**
   * CONSOLE_HEALTH_SAMPLE_MS: how often the services' /readyz are probed while a page is open.
   * Default 5000: a badge flips within 5 s, and ten probes per second do not cost every service
   * (and the console) CPU for a picture that rarely changes. Lag and offsets still refresh at
   * CONSOLE_REFRESH_INTERVAL_MS.
   */
  readonly healthSampleMs: number;
}

export const ENV_VARS: readonly string[] = [
  ...platformEnvVars,
  "CONSOLE_REFRESH_INTERVAL_MS",
  "CONSOLE_REDRIVE_TOKEN",
  "CONSOLE_SERVICE_URL_TEMPLATE",
  "CONSOLE_SERVICE_URLS",
  "CONSOLE_SERVICE_GROUPS",
  "CONSOLE_PROBE_TIMEOUT_MS",
  "CONSOLE_BROWSE_MAX_RECORDS",
  "CONSOLE_HEALTH_SAMPLE_MS",
];

function pairs(env: EnvReader, name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of env.list(name, [])) {
    const at = item.indexOf("=");
    if (at <= 0)
      throw new TributaryError("invalid_argument", `${name}: expected name=value items, got "${item}"`, {
        field: name,
      });
    out.set(item.slice(0, at).trim(), item.slice(at + 1).trim());
  }
  return out;
}

export function readConsoleConfig(env: EnvReader): ConsoleConfig {
  return {
    refreshIntervalMs: env.int("CONSOLE_REFRESH_INTERVAL_MS", 1_000, { min: 100, max: 60_000 }),
    redriveToken: env.string("CONSOLE_REDRIVE_TOKEN", ""),
    serviceUrlTemplate: env.string("CONSOLE_SERVICE_URL_TEMPLATE", "http://127.0.0.1:{port}"),
    serviceUrls: pairs(env, "CONSOLE_SERVICE_URLS"),
    serviceGroups: pairs(env, "CONSOLE_SERVICE_GROUPS"),
    probeTimeoutMs: env.int("CONSOLE_PROBE_TIMEOUT_MS", 1_000, { min: 50, max: 30_000 }),
    browseMaxRecords: env.int("CONSOLE_BROWSE_MAX_RECORDS", 200, { min: 1, max: 5_000 }),
    healthSampleMs: env.int("CONSOLE_HEALTH_SAMPLE_MS", 5_000, { min: 100, max: 600_000 }),
  };
}
