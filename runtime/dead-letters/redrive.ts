import { randomUUID } from "node:crypto";
import { lookupTopic } from "../catalog/catalog.js";
import { physicalTopic } from "../catalog/topic-names.js";
import type { KafkaAdapter, OutgoingRecord, RecordHeaders } from "../kafka/kafka-adapter.js";

/** Headers of a dead letter that describe its failure; removed when it goes back. */
export const DLQ_HEADER_PREFIX = "tributary.dlq.";
/**
 * Set on every redriven record: one id per redrive run. A side-effect processor whose ledger
 * already finished the record's key (given up) keys the redriven copy apart with it, so it gets
 * another try instead of being skipped as a duplicate.
 */
export const REDRIVE_HEADER = "tributary.redrive-id";

export interface RedriveOptions {
  readonly kafka: KafkaAdapter;
  readonly topicPrefix: string;
  /** Catalog topic whose DLQ is redriven (`postbacks`, or `postbacks.dlq` itself). */
  readonly topic: string;
  /** Only dead letters written at or after this time (ms). */
  readonly sinceMs?: number;
  readonly limit: number;
  readonly signal: AbortSignal;
  readonly progress: (done: number, total: number) => void;
}

export interface RedriveResult {
  readonly redriveId: string;
  readonly source: string;
  readonly deadLetterTopic: string;
  readonly redriven: number;
  readonly total: number;
}

/**
 * Re-produces dead letters to their source topic: key, value and headers as they were, minus
 * the tributary.dlq.* failure headers, plus REDRIVE_HEADER. Reads the DLQ up to the end offsets
 * seen at start (a record failing again lands after them and is not looped over).
 */
export async function redriveDeadLetters(o: RedriveOptions): Promise<RedriveResult> {
  const spec = lookupTopic(o.topic.endsWith(".dlq") ? o.topic.slice(0, -".dlq".length) : o.topic);
  if (spec.deadLetter === null) throw new Error(`topic "${spec.name}" has no dead-letter topic`);
  const source = physicalTopic(o.topicPrefix, spec.name);
  const dlq = physicalTopic(o.topicPrefix, spec.deadLetter);
  const ends = await o.kafka.partitionOffsets(dlq);
  const start =
    o.sinceMs === undefined
      ? new Map(ends.map((e) => [e.partition, e.low]))
      : await o.kafka.offsetsForTimestamp(dlq, o.sinceMs);
  const high = new Map(ends.map((e) => [e.partition, e.high]));
  const available = ends.reduce((n, e) => n + Math.max(0, e.high - (start.get(e.partition) ?? e.high)), 0);
  const total = Math.min(available, o.limit);
  const redriveId = randomUUID();
  const result = { redriveId, source, deadLetterTopic: dlq, total };
  if (total === 0) return { ...result, redriven: 0 };
  const producer = o.kafka.createProducer();
  await producer.connect();
  const consumer = o.kafka.createConsumer({ groupId: `tributary-redrive-${redriveId}` });
  const controller = new AbortController();
  o.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const positions = new Map(start);
  const seeked = new Set<number>();
  let redriven = 0;
  const finished = () => redriven >= total || [...high].every(([p, h]) => (positions.get(p) ?? h) >= h);
  try {
    await consumer.run({
      topics: [dlq],
      fromBeginning: true,
      signal: controller.signal,
      onAssignment: () => seeked.clear(),
      onBatch: async (batch) => {
        const from = positions.get(batch.partition) ?? high.get(batch.partition) ?? 0;
        if (!seeked.has(batch.partition) && (batch.records[0]?.offset ?? from) !== from) {
          seeked.add(batch.partition);
          consumer.seek(batch.topic, batch.partition, from);
          return "seeked";
        }
        seeked.add(batch.partition);
        const end = high.get(batch.partition) ?? 0;
        const out: OutgoingRecord[] = [];
        for (const record of batch.records) {
          if (record.offset < from || record.offset >= end || redriven + out.length >= total) continue;
          out.push({
            key: record.key ?? "",
            value: record.value ?? Buffer.alloc(0),
            headers: cleanHeaders(record.headers, redriveId),
          });
        }
        if (out.length > 0) await producer.sendAll(source, out);
        redriven += out.length;
        const last = batch.records.at(-1);
        if (last !== undefined) positions.set(batch.partition, Math.max(from, last.offset + 1));
        o.progress(redriven, total);
        if (finished()) controller.abort();
        return "consumed";
      },
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect();
  }
  return { ...result, redriven };
}

function cleanHeaders(headers: RecordHeaders, redriveId: string): RecordHeaders {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(DLQ_HEADER_PREFIX)) kept[name] = value;
  kept[REDRIVE_HEADER] = redriveId;
  return kept;
}
