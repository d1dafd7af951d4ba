import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";

export type HealthCheck = () => { ok: boolean; detail?: string };

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
    const state = readiness();
    res
      .writeHead(state.ok ? 200 : 503, { "content-type": "application/json" })
      .end(JSON.stringify({ status: state.ok ? "ready" : "not_ready", detail: state.detail ?? "" }));
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
