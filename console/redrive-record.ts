import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { lookupTopic } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import { DLQ_HEADER_PREFIX, REDRIVE_HEADER } from "../runtime/dead-letters/redrive.js";
import { TributaryError } from "../runtime/errors.js";
import type { KafkaAdapter, RecordHeaders, RecordProducer } from "../runtime/kafka/kafka-adapter.js";
import { readRange } from "./topic-reader.js";

/** Where a redriven dead letter went: kept so the DLQ view can show it as moved. */
export interface RedriveMark {
  readonly redriveId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly atMs: number;
}

/** Dragonfly hash of redriven dead letters of one DLQ topic: `<partition>:<offset>` → RedriveMark. */
export function redriveMarksKey(namespace: string, physicalDlq: string): string {
  return `${namespace}tributary:console:redriven:${physicalDlq}`;
}

export async function redriveMarks(
  redis: Redis,
  namespace: string,
  physicalDlq: string,
): Promise<Map<string, RedriveMark>> {
  const all = await redis.hgetall(redriveMarksKey(namespace, physicalDlq));
  return new Map(Object.entries(all).map(([field, json]) => [field, JSON.parse(json) as RedriveMark]));
}

/**
 * Re-produces one dead letter to its source topic, as `tributary dlq redrive` does for a whole
 * DLQ: key, value and headers as they were minus the tributary.dlq.* failure headers, plus
 * REDRIVE_HEADER. A dead letter is redriven once (a second click is refused).
 */
export async function redriveRecord(o: {
  kafka: KafkaAdapter;
  producer: () => Promise<RecordProducer>;
  redis: Redis;
  prefix: string;
  namespace: string;
  /** Catalog name of the DLQ topic (`postbacks.dlq`). */
  dlqTopic: string;
  partition: number;
  offset: number;
}): Promise<RedriveMark> {
  const dlq = lookupTopic(o.dlqTopic);
  if (!dlq.name.endsWith(".dlq"))
    throw new TributaryError("invalid_argument", `${o.dlqTopic} is not a dead-letter topic`, { field: "topic" });
  const source = lookupTopic(dlq.name.slice(0, -".dlq".length));
  const physicalDlq = physicalTopic(o.prefix, dlq.name);
  const key = redriveMarksKey(o.namespace, physicalDlq);
  const field = `${o.partition}:${o.offset}`;
  if ((await o.redis.hexists(key, field)) === 1)
    throw new TributaryError("invalid_argument", `${dlq.name} ${field} was redriven already`, { field: "offset" });
  const [record] = await readRange(
    o.kafka,
    physicalDlq,
    new Map([[o.partition, { start: o.offset, end: o.offset + 1 }]]),
  );
  if (record === undefined || record.offset !== o.offset)
    throw new TributaryError("not_found", `no record at ${dlq.name} partition ${o.partition} offset ${o.offset}`);
  const redriveId = randomUUID();
  const headers: RecordHeaders = {};
  for (const [name, value] of Object.entries(record.headers))
    if (!name.startsWith(DLQ_HEADER_PREFIX)) headers[name] = value;
  headers[REDRIVE_HEADER] = redriveId;
  const target = physicalTopic(o.prefix, source.name);
  const position = await (await o.producer()).send(target, {
    key: record.key ?? "",
    value: record.value ?? Buffer.alloc(0),
    headers,
  });
  const mark: RedriveMark = {
    redriveId,
    topic: source.name,
    partition: position.partition,
    offset: position.offset,
    atMs: Date.now(),
  };
  await o.redis.hset(key, field, JSON.stringify(mark));
  return mark;
}
