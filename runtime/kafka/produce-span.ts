import { type Span, SpanKind } from "@opentelemetry/api";
import { activeTracerOrNull, endSpan, startSpan, traceparentOf } from "../observability/tracing.js";
import type { OutgoingRecord, RecordPosition } from "./kafka-adapter.js";

/** A PRODUCER span of one send and the record carrying it in its `traceparent` header. */
export interface ProduceSpan {
  readonly span: Span;
  readonly record: OutgoingRecord;
}

/**
 * Starts the produce span under the record's own `traceparent` (the RPC's or the consumer's
 * span) and rewrites the header to the produce span, so a consumer continues from it.
 * Null with tracing off: the record goes out untouched, at no cost.
 */
export function startProduceSpan(topic: string, record: OutgoingRecord): ProduceSpan | null {
  if (activeTracerOrNull() === null) return null;
  const span = startSpan(`${topic} publish`, record.headers.traceparent, {
    kind: SpanKind.PRODUCER,
    attributes: {
      "messaging.system": "kafka",
      "messaging.operation.type": "send",
      "messaging.destination.name": topic,
      "messaging.kafka.message.key": record.key,
    },
  });
  if (span === null) return null;
  return { span, record: { ...record, headers: { ...record.headers, traceparent: traceparentOf(span) } } };
}

export function endProduceSpan(produce: ProduceSpan | null, position?: RecordPosition, err?: unknown): void {
  if (produce === null) return;
  if (position !== undefined) {
    produce.span.setAttribute("messaging.destination.partition.id", String(position.partition));
    produce.span.setAttribute("messaging.kafka.offset", position.offset);
  }
  endSpan(produce.span, err);
}
