import { readFileSync } from "node:fs";
import type { JsonObject } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Command } from "commander";
import { PostbackService } from "../gen/postbacks/v1/postback_service_pb.js";
import { countPostbackStates, readPostbackStatus } from "../processors/postback-delivery/index.js";
import { EnvReader } from "../runtime/config/env-reader.js";
import { readPlatformConfig } from "../runtime/config/platform-config.js";
import { openPool } from "../runtime/state/pg-pool.js";
import { DEFAULT_URL, httpUrl, integerAtLeast } from "./options.js";
import { formatAnswer, type OutputFormat, outputOption } from "./output-format.js";

/** `postback submit` (PostbackService/Submit over Connect) and `postback status` (the delivery log). */
export function registerPostbackCommand(program: Command): Command {
  const postback = program.command("postback").description("postbacks: submit requests, inspect deliveries");
  postback
    .command("submit")
    .description("PostbackService/Submit: one delivery per data item")
    .requiredOption("--url <template>", "endpoint URL template, e.g. 'https://host/p?c={key}'")
    .requiredOption("--data <json|@file|->", "a JSON array of objects (or one object), @file, or - for stdin")
    .option("--method <method>", "HTTP method", "GET")
    .option("--gateway <url>", "gateway base URL", httpUrl, DEFAULT_URL)
    .addOption(outputOption("json"))
    .action(async (o: { url: string; data: string; method: string; gateway: string; output: OutputFormat }) => {
      const data = parseData(o.data);
      const client = createClient(PostbackService, createConnectTransport({ baseUrl: o.gateway, httpVersion: "1.1" }));
      const answer = await client.submit({ endpoint: { method: o.method, url: o.url }, data });
      process.stdout.write(formatAnswer(o.output, { requestId: answer.requestId, deliveryIds: answer.deliveryIds }));
    });
  postback
    .command("status")
    .description("deliveries of a request (or one delivery) with every attempt: codes, timings")
    .argument("<id>", "a request id or a delivery id")
    .option("--limit <n>", "at most this many deliveries", integerAtLeast(1), 100)
    .addOption(outputOption("table"))
    .option("--json", "JSON lines, one delivery per line (kept for scripts; --output json is one array)")
    .action(async (id: string, o: { limit: number; output: OutputFormat; json?: boolean }) => {
      const config = readPlatformConfig(new EnvReader(), { serviceName: "tributary-cli", httpPort: 0 });
      const pool = openPool(config.databaseUrl, 2);
      try {
        const deliveries = await readPostbackStatus(pool, id, o.limit);
        if (deliveries.length === 0) {
          process.stderr.write(`no delivery or request "${id}" in the delivery log (yet)\n`);
          process.exitCode = 1;
          return;
        }
        if (o.json === true) {
          for (const d of deliveries) process.stdout.write(`${JSON.stringify(d)}\n`);
          return;
        }
        if (o.output === "json") {
          process.stdout.write(`${JSON.stringify(deliveries)}\n`);
          return;
        }
        const counts = await countPostbackStates(pool, id);
        const lines = [
          Object.entries(counts)
            .map(([s, n]) => `${s}: ${n}`)
            .join("  "),
        ];
        for (const d of deliveries) {
          lines.push(`${d.deliveryId}  ${d.status}  ${d.method} ${d.url}`);
          for (const a of d.attempts) {
            const next = a.nextAttemptAt === null ? "" : `  next ${a.nextAttemptAt}`;
            const error = a.error === null ? "" : `  ${a.error}`;
            lines.push(`  #${a.attempt} ${a.startedAt} ${a.durationMs} ms  ${a.status}  ${a.result}${next}${error}`);
          }
        }
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        await pool.end();
      }
    });
  return postback;
}

function parseData(text: string): JsonObject[] {
  const raw =
    text === "-" ? readFileSync(0, "utf8") : text.startsWith("@") ? readFileSync(text.slice(1), "utf8") : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`--data is not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw new Error(`--data[${i}] must be an object`);
  });
  return list as JsonObject[];
}
