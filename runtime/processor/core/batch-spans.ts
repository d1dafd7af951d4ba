import { type Span, SpanKind } from "@opentelemetry/api";
import type { ConsumedRecord } from "../../kafka/kafka-adapter.js";
import { activeTracerOrNull, linksTo, MAX_SPAN_LINKS, startSpan } from "../../observability/tracing.js";

/**
 * Spans of the partition-task core. A batch is one `process` span and a commit one `commit`
 * span, not one span per record (a 5,000-record batch would cost 5,000 spans). Each is the
 * child of the first traced record it covers, so a lone record (a ping, a Start) has its whole
 * path in one trace, and carries span links to the other records' contexts (at most 128).
 */
export function startProcessSpan(taskName: string, topic: string, records: readonly ConsumedRecord[]): Span | null {
  if (activeTracerOrNull() === null) return null;
  const traceparents = tracedOf(records);
  return startSpan(`${topic} process`, traceparents[0], {
    kind: SpanKind.CONSUMER,
    links: linksTo(traceparents.slice(1)),
    attributes: {
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.destination.name": topic,
      "messaging.batch.message_count": records.length,
      "messaging.destination.partition.id": String(records[0]?.partition ?? -1),
      "tributary.task": taskName,
    },
  });
}

/** Starts the commit span over the traceparents applied since the last commit. */
export function startCommitSpan(taskName: string, topic: string, traceparents: readonly string[]): Span | null {
  if (activeTracerOrNull() === null || traceparents.length === 0) return null;
  return startSpan(`${topic} commit`, traceparents[0], {
    kind: SpanKind.INTERNAL,
    links: linksTo(traceparents.slice(1)),
    attributes: { "messaging.destination.name": topic, "tributary.task": taskName },
  });
}

/** Remembers the traceparents of applied records until the commit (bounded: links are capped anyway). */
export function rememberTraced(into: string[], records: readonly ConsumedRecord[]): void {
  if (activeTracerOrNull() === null) return;
  for (const record of records) {
    if (into.length > MAX_SPAN_LINKS) return;
    const tp = record.headers.traceparent;
    if (tp !== undefined) into.push(tp);
  }
}

function tracedOf(records: readonly ConsumedRecord[]): string[] {
  const out: string[] = [];
  for (const record of records) {
    const tp = record.headers.traceparent;
    if (tp !== undefined) out.push(tp);
    if (out.length > MAX_SPAN_LINKS) break;
  }
  return out;
}
