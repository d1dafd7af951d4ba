import { lookupTopic } from "../../runtime/catalog/catalog.js";
import { physicalTopic } from "../../runtime/catalog/topic-names.js";
import type { KafkaAdapter, PartitionOffsets } from "../../runtime/kafka/kafka-adapter.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { type RecordView, recordView } from "../record-view.js";
import { readRange } from "../topic-reader.js";

/** The topic browser's filters (query parameters of /topics/<name>). */
export interface BrowseQuery {
  readonly topic: string;
  readonly partition: number | null;
  /** First offset to show (per partition); null: the latest records. */
  readonly offset: number | null;
  /** First record time to show (ms); ignored when offset is set. */
  readonly fromMs: number | null;
  /** Substring of the key; applied to the records read. */
  readonly key: string;
  readonly limit: number;
  readonly follow: boolean;
}

export interface BrowseResult {
  readonly query: BrowseQuery;
  readonly offsets: readonly PartitionOffsets[];
  readonly records: readonly RecordView[];
}

function optionalInt(value: string | null): number | null {
  return value === null || value.trim() === "" || !/^\d+$/.test(value.trim()) ? null : Number(value.trim());
}

export function parseBrowseQuery(topic: string, params: URLSearchParams, maxRecords: number): BrowseQuery {
  lookupTopic(topic);
  const from = params.get("from") ?? "";
  const parsedFrom =
    from === "" ? Number.NaN : Date.parse(from.endsWith("Z") || from.includes("+") ? from : `${from}Z`);
  return {
    topic,
    partition: optionalInt(params.get("partition")),
    offset: optionalInt(params.get("offset")),
    fromMs: Number.isNaN(parsedFrom) ? null : parsedFrom,
    key: (params.get("key") ?? "").trim(),
    limit: Math.min(maxRecords, optionalInt(params.get("limit")) ?? 50),
    follow: params.get("follow") === "1",
  };
}

/** The records a browse query selects, newest first without an offset/time filter, else in order. */
export async function browse(
  kafka: KafkaAdapter,
  codec: TopicCodec,
  prefix: string,
  query: BrowseQuery,
): Promise<BrowseResult> {
  const physical = physicalTopic(prefix, query.topic);
  const offsets = await kafka.partitionOffsets(physical);
  const chosen = offsets.filter((o) => query.partition === null || o.partition === query.partition);
  const byTime =
    query.offset === null && query.fromMs !== null ? await kafka.offsetsForTimestamp(physical, query.fromMs) : null;
  const ranges = new Map<number, { start: number; end: number }>();
  for (const o of chosen) {
    let start: number;
    if (query.offset !== null) start = Math.max(o.low, Math.min(query.offset, o.high));
    else if (byTime !== null) start = Math.max(o.low, byTime.get(o.partition) ?? o.high);
    else start = Math.max(o.low, o.high - query.limit);
    const end = query.offset === null && byTime === null ? o.high : Math.min(o.high, start + query.limit);
    ranges.set(o.partition, { start, end });
  }
  const raw = await readRange(kafka, physical, ranges);
  const views = await Promise.all(raw.map((r) => recordView(codec, prefix, query.topic, r)));
  const matching = views.filter((v) => query.key === "" || (v.key ?? "").includes(query.key));
  const newestFirst = query.offset === null && byTime === null;
  matching.sort((a, b) => a.timestampMs - b.timestampMs || a.partition - b.partition || a.offset - b.offset);
  if (newestFirst) matching.reverse();
  return { query, offsets, records: matching.slice(0, query.limit) };
}
