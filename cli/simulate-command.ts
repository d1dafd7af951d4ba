import { type Command, Option } from "commander";
import {
  formatProgress,
  formatSummary,
  PROTOCOLS,
  type Protocol,
  parseDurationMs,
  parseRatePerS,
  reportJson,
  simulate,
  TARGETS,
  type TargetName,
} from "../testkit/load/index.js";
import { stdout } from "./data-output.js";
import { asUsage, DEFAULT_URL, httpUrl, integerAtLeast } from "./options.js";

interface SimulateCliOptions {
  readonly url: string;
  readonly rate: number;
  readonly duration: number;
  readonly ramp: number;
  readonly concurrency?: number;
  readonly protocol?: Protocol;
  readonly seed: number;
  readonly timeout: number;
  readonly postbackUrl?: string;
  readonly batch?: number;
  readonly json?: boolean;
  readonly output?: "table" | "json";
  readonly quiet?: boolean;
}

const duration = (field: string) => asUsage((text: string) => parseDurationMs(text, field));

/** `simulate <target>`: drives a front door open-loop; progress on stderr, the summary on stdout. */
export function registerSimulateCommand(program: Command): Command {
  return program
    .command("simulate")
    .description("open-loop traffic against a front door; progress on stderr, summary on stdout")
    .addArgument(program.createArgument("<target>", "what to drive").choices(TARGETS))
    .option("--rate <rate>", "operations per second, e.g. 2000/s or 120/m", asUsage(parseRatePerS), 100)
    .option("--duration <duration>", "how long to send, e.g. 60s, 2m", duration("duration"), 10_000)
    .option("--ramp <duration>", "linear ramp up to --rate", duration("ramp"), 0)
    .option("--concurrency <n>", "calls in flight at most (default: from the rate)", integerAtLeast(1))
    .addOption(new Option("--protocol <protocol>", "wire protocol (default: per target)").choices(PROTOCOLS))
    .option("--seed <n>", "seed for generated payloads", integerAtLeast(0), 1)
    .option("--timeout <duration>", "per-call timeout", duration("timeout"), 10_000)
    .option("--postback-url <template>", "endpoint template for the postback target")
    .option("--batch <n>", "messages per batch (messages target)", integerAtLeast(1))
    .addOption(new Option("-o, --output <format>", "summary format").choices(["table", "json"]).default("table"))
    .option("--json", "same as --output json")
    .option("-q, --quiet", "no progress lines")
    .option("--url <url>", "gateway base URL", httpUrl, DEFAULT_URL)
    .action(async (target: TargetName, o: SimulateCliOptions) => {
      // Ctrl-C stops sending and still prints the summary of what ran.
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      // A carriage return redraws the line on a terminal; a pipe or a log gets one line per second.
      const end = process.stderr.isTTY ? "\r" : "\n";
      const report = await simulate(
        {
          target,
          baseUrl: o.url,
          ...(o.protocol === undefined ? {} : { protocol: o.protocol }),
          ratePerS: o.rate,
          durationMs: o.duration,
          rampMs: o.ramp,
          ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
          seed: o.seed,
          timeoutMs: o.timeout,
          ...(o.postbackUrl === undefined ? {} : { postbackUrl: o.postbackUrl }),
          ...(o.batch === undefined ? {} : { messagesPerBatch: o.batch }),
        },
        {
          signal: stop.signal,
          ...(o.quiet === true ? {} : { onProgress: (p) => process.stderr.write(`${formatProgress(p)}${end}`) }),
        },
      );
      if (o.quiet !== true && end === "\r") process.stderr.write("\n");
      const json = o.json === true || o.output === "json";
      await stdout.write(json ? reportJson(report) : formatSummary(report));
      if (report.sent > 0 && report.ok === 0) process.exitCode = 1;
    });
}
