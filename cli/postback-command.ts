import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { JsonObject } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PostbackService } from "../gen/postbacks/v1/postback_service_pb.js";
import { countPostbackStates, readPostbackStatus } from "../processors/postback-delivery/index.js";
import { EnvReader } from "../runtime/config/env-reader.js";
import { readPlatformConfig } from "../runtime/config/platform-config.js";
import { openPool } from "../runtime/state/pg-pool.js";

export const POSTBACK_USAGE = `  postback submit --method GET|POST|... --url 'https://host/p?c={key}' --data '<json array>'|@file|-
  postback status <request id|delivery id> [--json]   deliveries with every attempt (codes, timings)
`;

/** `postback submit` (PostbackService/Submit over Connect) and `postback status` (the delivery log). */
export async function postbackCommand(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      gateway: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8080" },
      method: { type: "string", default: "GET" },
      url: { type: "string" },
      data: { type: "string" },
      json: { type: "boolean", default: false },
      limit: { type: "string", default: "100" },
    },
  });
  const [, sub, id] = positionals;
  if (sub === "submit") {
    if (values.url === undefined) throw new Error("postback submit needs --url");
    const data = parseData(values.data);
    const client = createClient(
      PostbackService,
      createConnectTransport({ baseUrl: values.gateway, httpVersion: "1.1" }),
    );
    const answer = await client.submit({ endpoint: { method: values.method, url: values.url }, data });
    process.stdout.write(`${JSON.stringify({ requestId: answer.requestId, deliveryIds: answer.deliveryIds })}\n`);
    return 0;
  }
  if (sub === "status") {
    if (id === undefined) throw new Error("postback status needs a request id or a delivery id");
    const config = readPlatformConfig(new EnvReader(), { serviceName: "tributary-cli", httpPort: 0 });
    const pool = openPool(config.databaseUrl, 2);
    try {
      const deliveries = await readPostbackStatus(pool, id, Number(values.limit));
      if (deliveries.length === 0) {
        process.stderr.write(`no delivery or request "${id}" in the delivery log (yet)\n`);
        return 1;
      }
      if (values.json) {
        for (const d of deliveries) process.stdout.write(`${JSON.stringify(d)}\n`);
        return 0;
      }
      const counts = await countPostbackStates(pool, id);
      process.stdout.write(
        `${Object.entries(counts)
          .map(([s, n]) => `${s}: ${n}`)
          .join("  ")}\n`,
      );
      for (const d of deliveries) {
        process.stdout.write(`${d.deliveryId}  ${d.status}  ${d.method} ${d.url}\n`);
        for (const a of d.attempts) {
          const next = a.nextAttemptAt === null ? "" : `  next ${a.nextAttemptAt}`;
          const error = a.error === null ? "" : `  ${a.error}`;
          process.stdout.write(
            `  #${a.attempt} ${a.startedAt} ${a.durationMs} ms  ${a.status}  ${a.result}${next}${error}\n`,
          );
        }
      }
      return 0;
    } finally {
      await pool.end();
    }
  }
  process.stderr.write(`usage:\n${POSTBACK_USAGE}`);
  return 2;
}

function parseData(text: string | undefined): JsonObject[] {
  if (text === undefined) throw new Error("postback submit needs --data '<json array of objects>'");
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
