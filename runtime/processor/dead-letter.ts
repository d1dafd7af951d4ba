import { errorMessage, TributaryError } from "../errors.js";
import type { ConsumedRecord } from "../kafka/kafka-adapter.js";
import type { ProducerPort } from "./core/ports.js";

export const DLQ_HEADERS = {
  reason: "tributary.dlq.reason",
  errorCode: "tributary.dlq.error-code",
  sourceTopic: "tributary.dlq.source-topic",
  sourcePartition: "tributary.dlq.source-partition",
  sourceOffset: "tributary.dlq.source-offset",
  processor: "tributary.dlq.processor",
  failedAt: "tributary.dlq.failed-at",
} as const;

/**
 * Sends a record that cannot be processed to its dead-letter topic: original key, value and
 * headers untouched, the reason added in `tributary.dlq.*` headers. Resolves once acknowledged,
 * so the caller may move its offset past the record without losing it.
 */
export async function sendToDeadLetter(
  producer: ProducerPort,
  deadLetterTopic: string,
  record: ConsumedRecord,
  processor: string,
  err: unknown,
): Promise<void> {
  await producer.send(deadLetterTopic, {
    key: record.key ?? "",
    value: record.value ?? Buffer.alloc(0),
    headers: {
      ...record.headers,
      [DLQ_HEADERS.reason]: errorMessage(err),
      [DLQ_HEADERS.errorCode]: err instanceof TributaryError ? err.code : "internal",
      [DLQ_HEADERS.sourceTopic]: record.topic,
      [DLQ_HEADERS.sourcePartition]: String(record.partition),
      [DLQ_HEADERS.sourceOffset]: String(record.offset),
      [DLQ_HEADERS.processor]: processor,
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  });
}
