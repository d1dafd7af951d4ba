import { parseArgs } from "node:util";
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

export const SIMULATE_USAGE = `  simulate event|ping|postback|txn|messages --rate N/s --duration 60s [--concurrency C] [--ramp 10s]
           [--protocol connect|grpc|grpc-web|http] [--seed S] [--timeout 10s] [--json] [--url U]
           [--postback-url TEMPLATE] [--batch N]     open-loop traffic; progress on stderr, summary on stdout
`;

/** `simulate <target> ...`: drives a front door, prints progress on stderr and the summary on stdout. */
export async function simulateCommand(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8080" },
      rate: { type: "string", default: "100/s" },
      duration: { type: "string", default: "10s" },
      ramp: { type: "string", default: "0s" },
      concurrency: { type: "string" },
      protocol: { type: "string" },
      seed: { type: "string", default: "1" },
      timeout: { type: "string", default: "10s" },
      "postback-url": { type: "string" },
      batch: { type: "string" },
      json: { type: "boolean", default: false },
      quiet: { type: "boolean", short: "q", default: false },
    },
  });
  const [target] = positionals;
  if (target === undefined || !(TARGETS as readonly string[]).includes(target)) {
    process.stderr.write(`simulate needs a target: ${TARGETS.join("|")}\n\n${SIMULATE_USAGE}`);
    return 2;
  }
  if (values.protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(values.protocol)) {
    process.stderr.write(`--protocol must be one of ${PROTOCOLS.join("|")}\n`);
    return 2;
  }
  // Ctrl-C stops sending and still prints the summary of what ran.
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  // A carriage return redraws the line on a terminal; a pipe or a log gets one line per second.
  const end = process.stderr.isTTY ? "\r" : "\n";
  const report = await simulate(
    {
      target: target as TargetName,
      baseUrl: values.url,
      ...(values.protocol === undefined ? {} : { protocol: values.protocol as Protocol }),
      ratePerS: parseRatePerS(values.rate),
      durationMs: parseDurationMs(values.duration, "duration"),
      rampMs: parseDurationMs(values.ramp, "ramp"),
      ...(values.concurrency === undefined ? {} : { concurrency: Number(values.concurrency) }),
      seed: Number(values.seed),
      timeoutMs: parseDurationMs(values.timeout, "timeout"),
      ...(values["postback-url"] === undefined ? {} : { postbackUrl: values["postback-url"] }),
      ...(values.batch === undefined ? {} : { messagesPerBatch: Number(values.batch) }),
    },
    {
      signal: stop.signal,
      ...(values.quiet ? {} : { onProgress: (p) => process.stderr.write(`${formatProgress(p)}${end}`) }),
    },
  );
  if (!values.quiet && end === "\r") process.stderr.write("\n");
  await stdout.write(values.json ? reportJson(report) : formatSummary(report));
  return report.sent > 0 && report.ok === 0 ? 1 : 0;
}
