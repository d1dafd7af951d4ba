import { randomUUID } from "node:crypto";
import { toJson } from "@bufbuild/protobuf";
import { topicSpec } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import { errorMessage } from "../runtime/errors.js";
import type { CliContext } from "./cli-context.js";

export interface TailOptions {
  readonly topic: string;
  /** "beginning" | "end" | an offset | an ISO time. */
  readonly from: string;
  readonly follow: boolean;
  readonly limit: number;
}

/**
 * `tail <topic>`: prints records as JSON lines ({partition, offset, key, headers, value}).
 * Without --follow it stops at the end offsets seen at start.
 */
export async function tail(ctx: CliContext, options: TailOptions, signal: AbortSignal): Promise<number> {
  const spec = topicSpec(options.topic);
  const topic = physicalTopic(ctx.config.topicPrefix, spec.name);
  const ends = await ctx.kafka.partitionOffsets(topic);
  const start = await startOffsets(ctx, topic, options.from, ends);
  const remaining = new Map(ends.map((e) => [e.partition, e.high]));
  const controller = new AbortController();
  signal.addEventListener("abort", () => controller.abort(), { once: true });
  let printed = 0;
  const done = (): boolean =>
    printed >= options.limit ||
    (!options.follow && [...remaining].every(([p, high]) => (positions.get(p) ?? start.get(p) ?? 0) >= high));
  const positions = new Map<number, number>();
  if (done()) return 0;
  const consumer = ctx.kafka.createConsumer({ groupId: `tributary-tail-${randomUUID()}` });
  const seeked = new Set<number>();
  await consumer.run({
    topics: [topic],
    fromBeginning: true,
    signal: controller.signal,
    onBatch: async (batch) => {
      const from = start.get(batch.partition) ?? 0;
      const first = batch.records[0]?.offset ?? from;
      if (!seeked.has(batch.partition) && first !== from) {
        seeked.add(batch.partition);
        consumer.seek(batch.topic, batch.partition, from);
        return "seeked";
      }
      seeked.add(batch.partition);
      for (const record of batch.records) {
        if (record.offset < from) continue;
        if (!options.follow && record.offset >= (remaining.get(batch.partition) ?? 0)) break;
        let value: unknown;
        try {
          if (spec.message === null) value = { base64: record.value?.toString("base64") ?? null };
          else value = toJson(spec.message, (await ctx.codec.decode(record, spec.message)).message);
        } catch (err) {
          value = { error: errorMessage(err), base64: record.value?.toString("base64") ?? null };
        }
        process.stdout.write(
          `${JSON.stringify({ partition: record.partition, offset: record.offset, timestamp: new Date(record.timestampMs).toISOString(), key: record.key, headers: record.headers, value })}\n`,
        );
        printed += 1;
        positions.set(record.partition, record.offset + 1);
        if (printed >= options.limit) break;
      }
      if (batch.records.length > 0) {
        const last = batch.records[batch.records.length - 1];
        if (last) positions.set(batch.partition, Math.max(positions.get(batch.partition) ?? 0, last.offset + 1));
      }
      if (done()) controller.abort();
      return "consumed";
    },
  });
  await consumer.disconnect().catch(() => undefined);
  return printed;
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
