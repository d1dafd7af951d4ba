import { parseArgs } from "node:util";
import { redriveDeadLetters } from "../runtime/dead-letters/redrive.js";
import { cliContext } from "./cli-context.js";

export const DLQ_USAGE = `  dlq redrive <topic> [--since <ISO time>] [--limit N]   dead letters of <topic>.dlq back to <topic>
`;

/** `dlq redrive <topic>`: any catalog topic's dead letters back to the source, progress on stderr. */
export async function dlqCommand(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { since: { type: "string" }, limit: { type: "string" } },
  });
  const [, sub, topic] = positionals;
  if (sub !== "redrive" || topic === undefined) {
    process.stderr.write(`usage:\n${DLQ_USAGE}`);
    return 2;
  }
  const sinceMs = values.since === undefined ? undefined : Date.parse(values.since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs))
    throw new Error(`--since must be an ISO time, got "${values.since}"`);
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (!(limit >= 0)) throw new Error(`--limit must be a number >= 0, got "${values.limit}"`);
  const ctx = cliContext();
  let lastPrintMs = 0;
  try {
    const result = await redriveDeadLetters({
      kafka: ctx.kafka,
      topicPrefix: ctx.config.topicPrefix,
      topic,
      ...(sinceMs === undefined ? {} : { sinceMs }),
      limit,
      signal,
      progress: (done, total) => {
        if (Date.now() - lastPrintMs < 500 && done < total) return;
        lastPrintMs = Date.now();
        process.stderr.write(`redriven ${done}/${total}\n`);
      },
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}
