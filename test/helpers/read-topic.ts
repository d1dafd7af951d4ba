import { randomUUID } from "node:crypto";
import type { ConsumedRecord, KafkaAdapter } from "../../runtime/kafka/kafka-adapter.js";

/** Every record of a topic from its log start up to the end offsets seen when called. */
export async function readTopic(kafka: KafkaAdapter, topic: string, timeoutMs = 120_000): Promise<ConsumedRecord[]> {
  const ends = await kafka.partitionOffsets(topic);
  const remaining = new Map(ends.filter((e) => e.high > e.low).map((e) => [e.partition, e.high]));
  const records: ConsumedRecord[] = [];
  if (remaining.size === 0) return records;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const consumer = kafka.createConsumer({ groupId: `read-${randomUUID()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.run({
    topics: [topic],
    fromBeginning: true,
    signal: controller.signal,
    onBatch: async (batch) => {
      const end = remaining.get(batch.partition);
      if (end === undefined) return "consumed";
      for (const r of batch.records) if (r.offset < end) records.push(r);
      const last = batch.records.at(-1);
      if (last !== undefined && last.offset + 1 >= end) remaining.delete(batch.partition);
      if (remaining.size === 0) controller.abort();
      return "consumed";
    },
  });
  clearTimeout(timer);
  await consumer.disconnect().catch(() => undefined);
  if (remaining.size > 0)
    throw new Error(`readTopic(${topic}) timed out with partitions ${[...remaining.keys()]} unread`);
  return records;
}
