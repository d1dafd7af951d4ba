import { topicCatalog } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import { topicDeclaration } from "../runtime/platform.js";
import type { CliContext } from "./cli-context.js";
import { type OutputFormat, renderTable } from "./output-format.js";

/** One catalog topic as `topics` and `topics create` print it (json: this object, in an array). */
export interface TopicRow {
  readonly topic: string;
  readonly messageType: string;
  readonly partitions: number;
  /** "missing" before `topics create`; "created" by this `topics create`; else "exists". */
  readonly state: "missing" | "created" | "exists";
  /** Per partition, the next offset; empty when missing. */
  readonly endOffsets: readonly { partition: number; offset: number }[];
  readonly records: number | null;
  readonly deadLetter: string | null;
}

/** `topics create`: creates missing catalog topics, registers their schemas, lists them all. */
export async function createTopics(ctx: CliContext): Promise<TopicRow[]> {
  const created = await ctx.kafka.ensureTopics(topicCatalog.map((t) => topicDeclaration(ctx.config.topicPrefix, t)));
  for (const spec of topicCatalog) {
    if (spec.message !== null) await ctx.codec.registerTopic(physicalTopic(ctx.config.topicPrefix, spec.name), spec);
  }
  return listTopics(ctx, new Set(created));
}

/** `topics`: catalog topics with message type, partitions and end offsets. */
export async function listTopics(ctx: CliContext, created: ReadonlySet<string> = new Set()): Promise<TopicRow[]> {
  const existing = new Set(await ctx.kafka.listTopics());
  const rows: TopicRow[] = [];
  for (const spec of topicCatalog) {
    const topic = physicalTopic(ctx.config.topicPrefix, spec.name);
    const deadLetter = spec.deadLetter ?? null;
    if (!existing.has(topic)) {
      const messageType = spec.message?.typeName ?? "bytes";
      rows.push({
        topic,
        messageType,
        partitions: spec.partitions,
        state: "missing",
        endOffsets: [],
        records: null,
        deadLetter,
      });
      continue;
    }
    const offsets = await ctx.kafka.partitionOffsets(topic);
    rows.push({
      topic,
      messageType: spec.message?.typeName ?? "bytes (dead letters)",
      partitions: offsets.length,
      state: created.has(topic) ? "created" : "exists",
      endOffsets: offsets.map((o) => ({ partition: o.partition, offset: o.high })),
      records: offsets.reduce((n, o) => n + (o.high - o.low), 0),
      deadLetter,
    });
  }
  return rows;
}

/** Both commands print the same shape: a table, or one JSON array of TopicRow. */
export function formatTopics(format: OutputFormat, rows: readonly TopicRow[]): string {
  if (format === "json") return `${JSON.stringify(rows)}\n`;
  return renderTable([
    ["TOPIC", "MESSAGE TYPE", "PARTITIONS", "STATE", "END OFFSETS", "RECORDS", "DLQ"],
    ...rows.map((r) => [
      r.topic,
      r.messageType,
      String(r.partitions),
      r.state,
      r.state === "missing" ? "-" : r.endOffsets.map((o) => `${o.partition}:${o.offset}`).join(" "),
      r.records === null ? "-" : String(r.records),
      r.deadLetter ?? "-",
    ]),
  ]);
}
