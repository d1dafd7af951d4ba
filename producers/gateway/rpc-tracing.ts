import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { type Span, SpanKind } from "@opentelemetry/api";
import { activeTracerOrNull, endSpan, startSpan } from "../../runtime/observability/tracing.js";

/** The RPC's server span, for handlers that write records under it (see trace-context.ts). */
export const rpcSpanKey = createContextKey<Span | null>(null, { description: "tributary rpc span" });

/**
 * Connect interceptor: one SERVER span per RPC, the child of the caller's `traceparent`.
 * With tracing off it is a pass-through (no span, no context lookup).
 */
export function rpcTracing(): Interceptor {
  return (next) => async (req) => {
    if (activeTracerOrNull() === null) return next(req);
    const span = startSpan(`${req.service.typeName}/${req.method.name}`, req.header.get("traceparent") ?? undefined, {
      kind: SpanKind.SERVER,
      attributes: {
        "rpc.system": "connect_rpc",
        "rpc.service": req.service.typeName,
        "rpc.method": req.method.name,
      },
    });
    req.contextValues.set(rpcSpanKey, span);
    try {
      const res = await next(req);
      endSpan(span);
      return res;
    } catch (err) {
      span?.setAttribute("rpc.connect_rpc.error_code", Code[ConnectError.from(err).code] ?? "unknown");
      endSpan(span, err);
      throw err;
    }
  };
}
