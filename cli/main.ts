#!/usr/bin/env node
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { errorMessage, TributaryError } from "../runtime/errors.js";
import { cliContext } from "./cli-context.js";
import { stderr, stdout } from "./data-output.js";
import { DLQ_USAGE, dlqCommand } from "./dlq-command.js";
import { MESSAGES_USAGE, messagesCommand } from "./messages-command.js";
import { count, ping } from "./ping-commands.js";
import { POSTBACK_USAGE, postbackCommand } from "./postback-command.js";
import { produce } from "./produce-command.js";
import { SIMULATE_USAGE, simulateCommand } from "./simulate-command.js";
import { tail } from "./tail-command.js";
import { createTopics, listTopics } from "./topics-command.js";
import { TXN_USAGE, txnCommand } from "./txn-command.js";

const USAGE = `tributary <command>

  stack up|down|status            local stack (Kafka, Postgres, Redis, registry, services)
  topics                          catalog topics: message type, partitions, end offsets
  topics create                   create missing catalog topics, register their schemas
  tail <topic> [--from beginning|end|<offset>|<ISO time>] [--follow] [--limit N]
  produce <topic> [--key <json field>]   JSON lines on stdin → typed records
  ping [--timestamp-ms N] [--url U]      PingService/Ping (default url http://127.0.0.1:8080)
  count [--from T] [--to T] [--url U]    PingService/PingCount, per minute when --from is given
  replay <processor> --from earliest|<ISO time>   rebuild state into a fresh namespace, then switch
${TXN_USAGE}${MESSAGES_USAGE}${SIMULATE_USAGE}${POSTBACK_USAGE}${DLQ_USAGE}`;

async function main(argv: string[]): Promise<number> {
  // These parse their own flags (cli/txn-command.ts).
  if (argv[0] === "txn" || argv[0] === "mock-client") return txnCommand(argv);
  if (argv[0] === "messages") return messagesCommand(argv, readStdin);
  if (argv[0] === "simulate") return simulateCommand(argv);
  if (argv[0] === "postback") return postbackCommand(argv);
  if (argv[0] === "dlq") return dlqCommand(argv, abortOnSignals());
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      follow: { type: "boolean", short: "f", default: false },
      limit: { type: "string" },
      key: { type: "string" },
      url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8080" },
      "timestamp-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, sub] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const signal = abortOnSignals();
  switch (command) {
    case "stack": {
      const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "stack", "stack.sh");
      return spawnSync("bash", [script, ...positionals.slice(1)], { stdio: "inherit" }).status ?? 1;
    }
    case "topics": {
      const ctx = cliContext();
      try {
        if (sub === "create") await createTopics(ctx);
        else await listTopics(ctx);
      } finally {
        await ctx.close();
      }
      return 0;
    }
    case "tail": {
      if (sub === undefined) throw new Error("tail needs a topic");
      const ctx = cliContext();
      try {
        await tail(
          ctx,
          {
            topic: sub,
            from: values.from ?? "beginning",
            follow: values.follow,
            limit: Number(values.limit ?? Number.POSITIVE_INFINITY),
          },
          signal,
        );
      } finally {
        await ctx.close();
      }
      return 0;
    }
    case "produce": {
      if (sub === undefined) throw new Error("produce needs a topic");
      const ctx = cliContext();
      try {
        return await produce(ctx, sub, values.key, await readStdin());
      } finally {
        await ctx.close();
      }
    }
    case "ping":
      await ping(values.url, Number(values["timestamp-ms"] ?? Date.now()));
      return 0;
    case "count":
      await count(values.url, values.from, values.to);
      return 0;
    case "replay": {
      const { replayCommand } = await import("./replay-command.js");
      return replayCommand(sub, values.from ?? "earliest", signal);
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => controller.abort());
  return controller.signal;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

// Exit only once stdout and stderr drained: on a pipe, an early exit loses queued output.
main(process.argv.slice(2)).then(
  async (code) => {
    await stdout.flush();
    if (stdout.error !== undefined) process.stderr.write(`error: writing output: ${stdout.error.message}\n`);
    await stderr.flush();
    process.exit(stdout.error === undefined ? code : 1);
  },
  async (err: unknown) => {
    const code = err instanceof TributaryError ? ` [${err.code}]` : "";
    process.stderr.write(`error${code}: ${errorMessage(err)}\n`);
    await stderr.flush();
    process.exit(1);
  },
);
