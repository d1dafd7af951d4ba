import { create } from "@bufbuild/protobuf";
import { MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import type { KafkaAdapter, RecordPosition, RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";

export interface CleanWriter {
  readonly kafka: KafkaAdapter;
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  /** Physical name of the `messages` topic. */
  readonly topic: string;
}

/**
 * Writes one Clean command per partition of `messages` (explicit partition): each partition then
 * removes its own expired rows at that point of its log, so the outcome is a function of the log.
 * Resolves with the records' positions once all are acknowledged.
 */
export async function writeCleanCommands(
  writer: CleanWriter,
  clean: { readonly cleanId: string; readonly cutoffMs: number; readonly nowMs: number },
  headers: Record<string, string> = {},
): Promise<RecordPosition[]> {
  const partitions = await writer.kafka.partitionOffsets(writer.topic);
  const message = create(MessageCommandSchema, {
    command: { case: "clean", value: { cleanId: clean.cleanId, cutoffMs: BigInt(clean.cutoffMs) } },
    commandTimeMs: BigInt(clean.nowMs),
  });
  return writer.producer.sendAll(
    writer.topic,
    partitions.map((p) => ({
      ...writer.codec.encode(writer.topic, MessageCommandSchema, message, `clean:${clean.cleanId}`, headers),
      partition: p.partition,
    })),
  );
}
