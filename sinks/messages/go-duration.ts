import { TributaryError } from "../../runtime/errors.js";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;

/**
 * A duration in Go's `time.ParseDuration` format ("168h", "1h30m", "90s", "250ms"): the seed's
 * DB_RETENTION_PERIOD takes this form, so its deployments' values keep working. Returns ms.
 */
export function parseGoDurationMs(text: string, field: string): number {
  const value = text.trim();
  let totalMs = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(value); match !== null; match = PART.exec(value)) {
    totalMs += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
    consumed = PART.lastIndex;
  }
  if (value === "" || consumed !== value.length || !Number.isFinite(totalMs)) {
    throw new TributaryError("config_invalid", `must be a duration like 168h or 1h30m, got "${text}"`, { field });
  }
  return Math.round(totalMs);
}
