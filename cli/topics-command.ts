import { topicCatalog } from "../runtime/catalog/catalog.js";
import { physicalTopic } from "../runtime/catalog/topic-names.js";
import { topicDeclaration } from "../runtime/platform.js";
import type { CliContext } from "./cli-context.js";

/** `topics create`: creates missing catalog topics and registers their schemas. */
export async function createTopics(ctx: CliContext): Promise<void> {
  const created = await ctx.kafka.ensureTopics(topicCatalog.map((t) => topicDeclaration(ctx.config.topicPrefix, t)));
  for (const spec of topicCatalog) {
    if (spec.message !== null) await ctx.codec.registerTopic(physicalTopic(ctx.config.topicPrefix, spec.name), spec);
  }
  process.stdout.write(`${JSON.stringify({ created, catalog: topicCatalog.length })}\n`);
}

/** `topics`: catalog topics with message type, partitions and end offsets. */
export async function listTopics(ctx: CliContext): Promise<void> {
  const existing = new Set(await ctx.kafka.listTopics());
  const rows: string[][] = [["TOPIC", "MESSAGE TYPE", "PARTITIONS", "END OFFSETS", "RECORDS", "DLQ"]];
  for (const spec of topicCatalog) {
    const name = physicalTopic(ctx.config.topicPrefix, spec.name);
    if (!existing.has(name)) {
      rows.push([
        name,
        spec.message?.typeName ?? "bytes",
        String(spec.partitions),
        "(missing)",
        "-",
        spec.deadLetter ?? "-",
      ]);
      continue;
    }
    const offsets = await ctx.kafka.partitionOffsets(name);
    const records = offsets.reduce((n, o) => n + (o.high - o.low), 0);
    rows.push([
      name,
      spec.message?.typeName ?? "bytes (dead letters)",
      String(offsets.length),
      offsets.map((o) => `${o.partition}:${o.high}`).join(" "),
      String(records),
      spec.deadLetter ?? "-",
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const row of rows)
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
}
