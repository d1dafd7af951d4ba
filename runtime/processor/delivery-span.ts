import type { Message } from "@bufbuild/protobuf";
import { type Span, SpanKind } from "@opentelemetry/api";
import { endSpan, startSpan, traceparentOf } from "../observability/tracing.js";
import type { DecodedRecord } from "../serde/topic-codec.js";
import type { AttemptOutcome } from "./delivery.js";

/**
 * A CLIENT span per delivery attempt, the child of the record's `traceparent`; the handler
 * gets the record with its `traceparent` header set to this span and sends it to the target
 * (outboundTraceHeaders). Null with tracing off: the record is passed through unchanged.
 */
export function startDeliverySpan<M extends Message>(
  handlerName: string,
  record: DecodedRecord<M>,
  attempt: number,
): { span: Span; record: DecodedRecord<M> } | null {
  const span = startSpan(`${handlerName} deliver`, record.record.headers.traceparent, {
    kind: SpanKind.CLIENT,
    attributes: { "tributary.delivery.handler": handlerName, "tributary.delivery.attempt": attempt },
  });
  if (span === null) return null;
  const headers = { ...record.record.headers, traceparent: traceparentOf(span) };
  return { span, record: { ...record, record: { ...record.record, headers } } };
}

export function endDeliverySpan(span: Span | null, outcome: AttemptOutcome): void {
  if (span === null) return;
  span.setAttribute("tributary.delivery.status", outcome.status);
  endSpan(span, outcome.delivered ? undefined : new Error(outcome.error));
}

/** The W3C header a delivery sends to its target: the record's (delivery span's) traceparent, if any. */
export function outboundTraceHeaders(record: DecodedRecord): Record<string, string> {
  const traceparent = record.record.headers.traceparent;
  return traceparent === undefined ? {} : { traceparent };
}
