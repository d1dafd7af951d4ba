import { toJson } from "@bufbuild/protobuf";
import { isTopicName, lookupTopic } from "../runtime/catalog/catalog.js";
import { logicalTopic } from "../runtime/catalog/topic-names.js";
import { errorMessage } from "../runtime/errors.js";
import type { ConsumedRecord } from "../runtime/kafka/kafka-adapter.js";
import { DLQ_HEADERS } from "../runtime/processor/dead-letter.js";
import type { TopicCodec } from "../runtime/serde/topic-codec.js";

/** Why a dead letter is there and where it came from (its tributary.dlq.* headers). */
export interface DeadLetterInfo {
  readonly reason: string;
  readonly errorCode: string;
  readonly processor: string;
  readonly failedAt: string;
  /** Catalog name of the source topic (without TOPIC_PREFIX), when it is one of ours. */
  readonly sourceTopic: string | null;
  readonly sourcePartition: number | null;
  readonly sourceOffset: number | null;
}

/** One record as the pages show it: value decoded to JSON through the topic codec. */
export interface RecordView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: string;
  readonly timestampMs: number;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: unknown;
  /** Set when the value could not be decoded (the bytes are shown as base64). */
  readonly decodeError: string | null;
  readonly deadLetter: DeadLetterInfo | null;
}

function numberOrNull(value: string | undefined): number | null {
  return value === undefined || !/^\d+$/.test(value) ? null : Number(value);
}

/**
 * Decodes a record of catalog topic `topic`. A dead letter keeps its source's bytes, so it is
 * decoded with the source topic's type when possible (a poison record stays base64 with the error).
 */
export async function recordView(
  codec: TopicCodec,
  prefix: string,
  topic: string,
  record: ConsumedRecord,
): Promise<RecordView> {
  const spec = lookupTopic(topic);
  const h = record.headers;
  const sourcePhysical = h[DLQ_HEADERS.sourceTopic];
  const sourceLogical = sourcePhysical === undefined ? undefined : logicalTopic(prefix, sourcePhysical);
  const deadLetter: DeadLetterInfo | null =
    h[DLQ_HEADERS.reason] === undefined
      ? null
      : {
          reason: h[DLQ_HEADERS.reason] ?? "",
          errorCode: h[DLQ_HEADERS.errorCode] ?? "",
          processor: h[DLQ_HEADERS.processor] ?? "",
          failedAt: h[DLQ_HEADERS.failedAt] ?? "",
          sourceTopic: sourceLogical !== undefined && isTopicName(sourceLogical) ? sourceLogical : null,
          sourcePartition: numberOrNull(h[DLQ_HEADERS.sourcePartition]),
          sourceOffset: numberOrNull(h[DLQ_HEADERS.sourceOffset]),
        };
  const message = spec.message ?? (deadLetter?.sourceTopic ? lookupTopic(deadLetter.sourceTopic).message : null);
  let value: unknown = null;
  let decodeError: string | null = null;
  if (message === null) {
    value = { base64: record.value?.toString("base64") ?? null };
  } else {
    try {
      value = toJson(message, (await codec.decode(record, message)).message);
    } catch (err) {
      decodeError = errorMessage(err);
      value = { base64: record.value?.toString("base64") ?? null };
    }
  }
  return {
    topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(record.timestampMs).toISOString(),
    timestampMs: record.timestampMs,
    key: record.key,
    headers: record.headers,
    value,
    decodeError,
    deadLetter,
  };
}
