import { randomBytes } from "node:crypto";
import type { HandlerContext } from "@connectrpc/connect";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * W3C trace context for the record an RPC writes: the caller's trace id when it sent a valid
 * `traceparent`, else a new trace; a new span id either way (writing the record is our span).
 * Echoed in the response headers so a caller without tracing can still find its record.
 */
export function traceHeaders(ctx: HandlerContext): Record<string, string> {
  const traceparent = childTraceparent(ctx.requestHeader.get("traceparent"));
  ctx.responseHeader.set("traceparent", traceparent);
  return { traceparent };
}

/** The `traceparent` of our span under the caller's one (plain-HTTP routes use it directly). */
export function childTraceparent(incoming: string | null | undefined): string {
  const match = TRACEPARENT.exec(incoming ?? "");
  const traceId = match?.[2] !== undefined && !/^0+$/.test(match[2]) ? match[2] : randomBytes(16).toString("hex");
  const flags = match?.[4] ?? "01";
  return `00-${traceId}-${randomBytes(8).toString("hex")}-${flags}`;
}
