import type { Command } from "commander";
import { redriveDeadLetters } from "../runtime/dead-letters/redrive.js";
import { cliContext } from "./cli-context.js";
import { integerAtLeast, isoTimeMs } from "./options.js";
import { formatAnswer, type OutputFormat, outputOption } from "./output-format.js";
import { abortOnSignals } from "./process-io.js";

/** `dlq redrive <topic>`: any catalog topic's dead letters back to the source, progress on stderr. */
export function registerDlqCommand(program: Command): Command {
  const dlq = program.command("dlq").description("dead-letter topics");
  dlq
    .command("redrive")
    .description("move dead letters of <topic>.dlq back to <topic>; progress on stderr")
    .argument("<topic>", "catalog topic whose dead letters to redrive")
    .option("--since <iso-time>", "only dead letters written at or after this time", isoTimeMs)
    .option("--limit <n>", "at most this many records (default: all)", integerAtLeast(0))
    .addOption(outputOption("json"))
    .action(async (topic: string, options: { since?: number; limit?: number; output: OutputFormat }) => {
      const signal = abortOnSignals();
      const ctx = cliContext();
      let lastPrintMs = 0;
      try {
        const result = await redriveDeadLetters({
          kafka: ctx.kafka,
          topicPrefix: ctx.config.topicPrefix,
          topic,
          ...(options.since === undefined ? {} : { sinceMs: options.since }),
          limit: options.limit ?? Number.POSITIVE_INFINITY,
          signal,
          progress: (done, total) => {
            if (Date.now() - lastPrintMs < 500 && done < total) return;
            lastPrintMs = Date.now();
            process.stderr.write(`redriven ${done}/${total}\n`);
          },
        });
        process.stdout.write(formatAnswer(options.output, result));
      } finally {
        await ctx.close();
      }
    });
  return dlq;
}
