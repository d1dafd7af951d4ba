import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { counter, histogram } from "../../runtime/observability/metrics.js";

/** Connect interceptor: RPC count by method and outcome code, and latency histogram. */
export function rpcMetrics(registry: Registry): Interceptor {
  const calls = counter(registry, "tributary_rpc_requests_total", "RPCs handled", ["method", "code"]);
  const seconds = histogram(
    registry,
    "tributary_rpc_duration_seconds",
    "RPC handling time",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ["method"],
  );
  return (next) => async (req) => {
    const method = `${req.service.typeName}/${req.method.name}`;
    const end = seconds.startTimer({ method });
    try {
      const res = await next(req);
      calls.inc({ method, code: "ok" });
      return res;
    } catch (err) {
      calls.inc({ method, code: Code[ConnectError.from(err).code] ?? "unknown" });
      throw err;
    } finally {
      end();
    }
  };
}
