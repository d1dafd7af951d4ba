import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Command } from "commander";
import { PingCountResponseSchema, PingResponseSchema, PingService } from "../gen/ping/v1/ping_service_pb.js";
import { DEFAULT_URL, httpUrl, integerAtLeast, timeOrEpochMs } from "./options.js";
import { formatAnswer, type OutputFormat, outputOption } from "./output-format.js";

function pingClient(baseUrl: string) {
  return createClient(PingService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
}

/** `ping [--timestamp-ms N]` and `count [--from T --to T]`, like the seed's `go run . ping|count`. */
export function registerPingCommands(program: Command): void {
  program
    .command("ping")
    .description("PingService/Ping")
    .option("--timestamp-ms <ms>", "the ping's time, epoch ms (default: now)", integerAtLeast(0))
    .option("--url <url>", "gateway base URL", httpUrl, DEFAULT_URL)
    .addOption(outputOption("json"))
    .action(async (o: { timestampMs?: number; url: string; output: OutputFormat }) => {
      const response = await pingClient(o.url).ping({ timestampMs: BigInt(o.timestampMs ?? Date.now()) });
      process.stdout.write(formatAnswer(o.output, toJson(PingResponseSchema, response)));
    });
  program
    .command("count")
    .description("PingService/PingCount; per minute when --from is given")
    .option("--from <time>", "ISO time or epoch ms", timeOrEpochMs)
    .option("--to <time>", "ISO time or epoch ms (default: now when --from is given)", timeOrEpochMs)
    .option("--url <url>", "gateway base URL", httpUrl, DEFAULT_URL)
    .addOption(outputOption("json"))
    .action(async (o: { from?: number; to?: number; url: string; output: OutputFormat }) => {
      const fromMs = o.from ?? 0;
      const toMs = o.to ?? (o.from === undefined ? 0 : Date.now());
      const response = await pingClient(o.url).pingCount({ fromMs: BigInt(fromMs), toMs: BigInt(toMs) });
      process.stdout.write(formatAnswer(o.output, toJson(PingCountResponseSchema, response)));
    });
}
