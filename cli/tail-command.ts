import { randomUUID } from "node:crypto";
import { toJson } from "@bufbuild/protobuf";
import { lookupTopic } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import type { TopicSpec } from "../runtime/catalog/topic-spec.js";
import { errorMessage } from "../runtime/errors.js";
import type { BatchControl, ConsumedRecord } from "../runtime/kafka/kafka-adapter.js";
import type { CliContext } from "./cli-context.js";
import { stdout } from "./data-output.js";
import type { OutputFormat } from "./output-format.js";

/** Below the consumer's session timeout (kafkajs default 30 s) with room for a missed beat. */
const HEARTBEAT_WHILE_BLOCKED_MS = 3_000;

export interface TailOptions {
  readonly topic: string;
  /** "beginning" | "end" | an offset | an ISO time. */
  readonly from: string;
  readonly follow: boolean;
  readonly limit: number;
  /** json: one JSON document per record (JSON lines); table: one tab-separated line per record. */
  readonly output: OutputFormat;
}

/**
 * `tail <topic>`: prints records as JSON lines ({partition, offset, key, headers, value}).
 * Without --follow it stops at the end offsets seen at start. Output waits on a full pipe
 * (backpressure) and stops quietly when the reader goes away.
 */
export async function tail(ctx: CliContext, options: TailOptions, signal: AbortSignal): Promise<number> {
  const spec = lookupTopic(options.topic);
  const topic = physicalTopic(ctx.config.topicPrefix, spec.name);
  const ends = await ctx.kafka.partitionOffsets(topic);
  const start = await startOffsets(ctx, topic, options.from, ends);
  const remaining = new Map(ends.map((e) => [e.partition, e.high]));
  const controller = new AbortController();
  signal.addEventListener("abort", () => controller.abort(), { once: true });
  // The reader went away (`| head`): stop quietly.
  stdout.closed.addEventListener("abort", () => controller.abort(), { once: true });
  let printed = 0;
  const done = (): boolean =>
    printed >= options.limit ||
    (!options.follow && [...remaining].every(([p, high]) => (positions.get(p) ?? start.get(p) ?? 0) >= high));
  const positions = new Map<number, number>();
  if (done()) return 0;
  const consumer = ctx.kafka.createConsumer({ groupId: `tributary-tail-${randomUUID()}` });
  // Partitions positioned since the last assignment; a rebalance (a slow reader can stall a
  // batch past the session timeout) re-positions each at the next record not yet printed.
  const seeked = new Set<number>();
  // Heartbeats while a batch waits on a full pipe, so a slow reader does not cost the membership.
  let inBatch: BatchControl | undefined;
  const heartbeat = setInterval(() => void inBatch?.heartbeat().catch(() => undefined), HEARTBEAT_WHILE_BLOCKED_MS);
  try {
    await consumer.run({
      topics: [topic],
      fromBeginning: true,
      signal: controller.signal,
      onAssignment: () => seeked.clear(),
      onBatch: async (batch, control) => {
        const from = positions.get(batch.partition) ?? start.get(batch.partition) ?? 0;
        const first = batch.records[0]?.offset ?? from;
        if (!seeked.has(batch.partition) && first !== from) {
          seeked.add(batch.partition);
          consumer.seek(batch.topic, batch.partition, from);
          return "seeked";
        }
        seeked.add(batch.partition);
        inBatch = control;
        try {
          for (const record of batch.records) {
            if (record.offset < from) continue;
            if (!options.follow && record.offset >= (remaining.get(batch.partition) ?? 0)) break;
            if (controller.signal.aborted) break;
            await stdout.write(formatRecord(options.output, await recordLine(ctx, spec, record)));
            printed += 1;
            positions.set(record.partition, record.offset + 1);
            if (printed >= options.limit) break;
          }
        } finally {
          inBatch = undefined;
        }
        const last = batch.records.at(-1);
        if (last !== undefined && !controller.signal.aborted)
          positions.set(batch.partition, Math.max(positions.get(batch.partition) ?? 0, last.offset + 1));
        if (done()) controller.abort();
        return "consumed";
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
  await consumer.disconnect().catch(() => undefined);
  return printed;
}

interface PrintedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: string;
  readonly key: unknown;
  readonly headers: unknown;
  readonly value: unknown;
}

/**
 * Streaming output cannot align columns (the widths are not known up front), so `table` is one
 * tab-separated line per record: partition:offset, timestamp, key, value as compact JSON.
 */
export function formatRecord(output: OutputFormat, r: PrintedRecord): string {
  if (output === "json") return `${JSON.stringify(r)}\n`;
  return `${r.partition}:${r.offset}\t${r.timestamp}\t${typeof r.key === "string" ? r.key : JSON.stringify(r.key ?? null)}\t${JSON.stringify(r.value)}\n`;
}

/** One record as printed: {partition, offset, timestamp, key, headers, value}. */
async function recordLine(ctx: CliContext, spec: TopicSpec, record: ConsumedRecord): Promise<PrintedRecord> {
  let value: unknown;
  try {
    if (spec.message === null) value = { base64: record.value?.toString("base64") ?? null };
    else value = toJson(spec.message, (await ctx.codec.decode(record, spec.message)).message);
  } catch (err) {
    value = { error: errorMessage(err), base64: record.value?.toString("base64") ?? null };
  }
  const { partition, offset, key, headers } = record;
  return { partition, offset, timestamp: new Date(record.timestampMs).toISOString(), key, headers, value };
}

async function startOffsets(
  ctx: CliContext,
  topic: string,
  from: string,
  ends: { partition: number; low: number; high: number }[],
): Promise<Map<number, number>> {
  if (from === "beginning") return new Map(ends.map((e) => [e.partition, e.low]));
  if (from === "end") return new Map(ends.map((e) => [e.partition, e.high]));
  if (/^\d+$/.test(from))
    return new Map(ends.map((e) => [e.partition, Math.max(e.low, Math.min(Number(from), e.high))]));
  const time = Date.parse(from);
  if (Number.isNaN(time)) throw new Error(`--from must be beginning, end, an offset or an ISO time; got "${from}"`);
  return ctx.kafka.offsetsForTimestamp(topic, time);
}
