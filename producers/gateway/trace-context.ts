import type { HandlerContext } from "@connectrpc/connect";
import { newSpanId, newTraceId } from "../../runtime/observability/trace-ids.js";
import { traceparentOf } from "../../runtime/observability/tracing.js";
import { rpcSpanKey } from "./rpc-tracing.js";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * W3C trace context for the record an RPC writes. With tracing on it is the RPC span's context
 * (rpc-tracing.ts; the producer then writes a produce span under it); with tracing off it is
 * the caller's trace id when it sent a valid `traceparent`, else a new trace, with a new span id.
 * Echoed in the response headers so a caller without tracing can still find its record.
 */
export function traceHeaders(ctx: HandlerContext): Record<string, string> {
  const span = ctx.values.get(rpcSpanKey);
  const traceparent = span === null ? childTraceparent(ctx.requestHeader.get("traceparent")) : traceparentOf(span);
  ctx.responseHeader.set("traceparent", traceparent);
  return { traceparent };
}

/** The `traceparent` of our span under the caller's one (plain-HTTP routes use it directly). */
export function childTraceparent(incoming: string | null | undefined): string {
  const match = TRACEPARENT.exec(incoming ?? "");
  const traceId = match?.[2] !== undefined && !/^0+$/.test(match[2]) ? match[2] : newTraceId();
  const flags = match?.[4] ?? "01";
  return `00-${traceId}-${newSpanId()}-${flags}`;
}
