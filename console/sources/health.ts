import { errorMessage } from "../../runtime/errors.js";
import type { ServiceView } from "../service-directory.js";

export interface HealthBadge {
  readonly ok: boolean;
  /** `ready`, or why not: the service's own /readyz detail, a status code, or the connection error. */
  readonly detail: string;
}

/** A service's /readyz, bounded by `timeoutMs` (a stopped process answers nothing: down). */
export async function probeReadiness(service: ServiceView, timeoutMs: number): Promise<HealthBadge> {
  try {
    const response = await fetch(`${service.url}${service.readinessPath}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (response.ok) return { ok: true, detail: "ready" };
    let detail = `HTTP ${response.status}`;
    try {
      const body = JSON.parse(text) as { detail?: unknown };
      if (typeof body.detail === "string" && body.detail !== "") detail = body.detail;
    } catch {
      // not JSON: the status says enough
    }
    return { ok: false, detail };
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "TimeoutError" || name === "AbortError")
      return { ok: false, detail: `no answer from ${service.url} within ${timeoutMs} ms` };
    const cause = (err as { cause?: unknown }).cause;
    return { ok: false, detail: cause === undefined ? errorMessage(err) : errorMessage(cause) };
  }
}
