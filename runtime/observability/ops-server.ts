import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { type HealthCheck, handleOpsRoute } from "./ops-routes.js";

/** HTTP server of a processor or sink: health, readiness and Prometheus metrics only. */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  readiness: HealthCheck;
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (!handleOpsRoute(req, res, options.registry, options.readiness)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
