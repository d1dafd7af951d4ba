import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { cliContext } from "./cli-context.js";
import { registerCompletionCommand } from "./completion-command.js";
import { registerDlqCommand } from "./dlq-command.js";
import { registerKeysCommand } from "./keys-command.js";
import { registerMessagesCommand } from "./messages-command.js";
import { registerMigrateCommand } from "./migrate-command.js";
import { integerAtLeast, replayFrom, tailFrom } from "./options.js";
import { type OutputFormat, outputOption } from "./output-format.js";
import { registerPingCommands } from "./ping-commands.js";
import { registerPostbackCommand } from "./postback-command.js";
import { abortOnSignals, readStdin } from "./process-io.js";
import { produce } from "./produce-command.js";
import { registerSimulateCommand } from "./simulate-command.js";
import { tail } from "./tail-command.js";
import { createTopics, formatTopics, listTopics } from "./topics-command.js";
import { registerTxnCommands } from "./txn-command.js";

/**
 * The `tributary` command tree. Each command file registers its own subtree with a
 * `register…(program)` function (cli/keys-command.ts set the shape); a new command is one more
 * file and one more line below. Actions report a non-zero result through `process.exitCode`;
 * usage errors throw (exitOverride) and cli/main.ts maps them to exit code 2.
 */
export function buildProgram(): Command {
  const program = new Command("tributary")
    .description("Tributary: catalog topics, records, front doors and state of the local platform")
    .exitOverride()
    .showSuggestionAfterError()
    // `topics create --output json`: the option belongs to `create`, not to the parent `topics`.
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: false, sortSubcommands: false });
  registerStackCommand(program);
  registerTopicsCommand(program);
  registerTailCommand(program);
  registerProduceCommand(program);
  registerPingCommands(program);
  registerReplayCommand(program);
  registerKeysCommand(program);
  registerMigrateCommand(program);
  registerTxnCommands(program);
  registerMessagesCommand(program);
  registerSimulateCommand(program);
  registerPostbackCommand(program);
  registerDlqCommand(program);
  registerCompletionCommand(program);
  return program;
}

function registerStackCommand(program: Command): void {
  program
    .command("stack")
    .description("local stack (Kafka, Postgres, Redis, registry, services): stack/stack.sh")
    .argument("<action>", "up | down | status | … (passed to stack/stack.sh)")
    .argument("[args...]", "further arguments for stack.sh")
    .action((action: string, args: string[]) => {
      const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "stack", "stack.sh");
      process.exitCode = spawnSync("bash", [script, action, ...args], { stdio: "inherit" }).status ?? 1;
    });
}

function registerTopicsCommand(program: Command): void {
  const topics = program
    .command("topics")
    .description("catalog topics: message type, partitions, end offsets")
    .addOption(outputOption("table"))
    .action(async (o: { output: OutputFormat }) => {
      const ctx = cliContext();
      try {
        process.stdout.write(formatTopics(o.output, await listTopics(ctx)));
      } finally {
        await ctx.close();
      }
    });
  topics
    .command("create")
    .description("create missing catalog topics, register their schemas; lists them (STATE created|exists)")
    .addOption(outputOption("table"))
    .action(async (o: { output: OutputFormat }) => {
      const ctx = cliContext();
      try {
        process.stdout.write(formatTopics(o.output, await createTopics(ctx)));
      } finally {
        await ctx.close();
      }
    });
}

function registerTailCommand(program: Command): void {
  program
    .command("tail")
    .description("decoded records of a catalog topic; stops at the end offsets seen at start unless --follow")
    .argument("<topic>", "catalog topic (e.g. pings, pings.dlq)")
    .option("--from <position>", "beginning | end | <offset> | <ISO time>", tailFrom, "beginning")
    .option("-f, --follow", "keep waiting for new records", false)
    .option("--limit <n>", "stop after this many records", integerAtLeast(0))
    .addOption(outputOption("json"))
    .action(async (topic: string, o: { from: string; follow: boolean; limit?: number; output: OutputFormat }) => {
      const ctx = cliContext();
      try {
        const options = { topic, from: o.from, follow: o.follow, limit: o.limit ?? Number.POSITIVE_INFINITY };
        await tail(ctx, { ...options, output: o.output }, abortOnSignals());
      } finally {
        await ctx.close();
      }
    });
}

function registerProduceCommand(program: Command): void {
  program
    .command("produce")
    .description("JSON lines on stdin → typed records; prints each record's position (JSON lines)")
    .argument("<topic>", "catalog topic")
    .option("--key <field>", "JSON field used as the record key (default: id or transaction id)")
    .action(async (topic: string, o: { key?: string }) => {
      const ctx = cliContext();
      try {
        process.exitCode = await produce(ctx, topic, o.key, await readStdin());
      } finally {
        await ctx.close();
      }
    });
}

function registerReplayCommand(program: Command): void {
  program
    .command("replay")
    .description("rebuild a processor's state into a fresh namespace, then switch")
    .argument("<processor>", "a replayable processor, e.g. ping-counter, pings-sink, messages-sink, transaction-timer")
    .option("--from <position>", "earliest | <ISO time>", replayFrom, "earliest")
    .action(async function (this: Command, processor: string, o: { from: string }) {
      // Loaded on use: the registry pulls in every service module.
      const { replayTargetNames } = await import("./replay-targets.js");
      if (!replayTargetNames.includes(processor))
        this.error(`error: argument 'processor' must be one of ${replayTargetNames.join(", ")}, got "${processor}"`, {
          exitCode: 2,
          code: "tributary.invalidArgument",
        });
      const { replayCommand } = await import("./replay-command.js");
      process.exitCode = await replayCommand(processor, o.from, abortOnSignals());
    });
}
