import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { HealthCheck, ReadinessState } from "./readiness.js";

export type { HealthCheck } from "./readiness.js";

/**
 * Health and metrics routes shared by every service: `/healthz` (liveness: the process loop
 * works), `/readyz` (readiness: dependencies connected), `/metrics` (Prometheus text format).
 * Returns true when it answered the request.
 */
export function handleOpsRoute(
  req: IncomingMessage,
  res: ServerResponse,
  registry: Registry,
  readiness: HealthCheck,
  options: { readonly serveMetrics?: boolean } = {},
): boolean {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET") return false;
  if (path === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return true;
  }
  if (path === "/readyz") {
    // Liveness above never consults dependencies: a broker outage must not get pods killed.
    Promise.resolve()
      .then(readiness)
      .catch((err: unknown): ReadinessState => ({ ok: false, detail: `readiness check failed: ${String(err)}` }))
      .then((state) => {
        res.writeHead(state.ok ? 200 : 503, { "content-type": "application/json" }).end(
          JSON.stringify({
            status: state.ok ? "ready" : "not_ready",
            detail: state.detail ?? "",
            ...(state.components === undefined ? {} : { components: state.components }),
          }),
        );
      });
    return true;
  }
  if (path === "/metrics" && options.serveMetrics !== false) {
    registry
      .metrics()
      .then((text) => res.writeHead(200, { "content-type": registry.contentType }).end(text))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
    return true;
  }
  return false;
}
