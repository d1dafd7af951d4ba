import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, dropDatabase } from "../helpers/databases.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
  }[];
}

// OTLP/JSON ids are hex; accept base64 too in case an exporter version encodes them so.
const hex = (id: string | undefined): string =>
  id === undefined || id === ""
    ? ""
    : /^[0-9a-f]+$/i.test(id)
      ? id.toLowerCase()
      : Buffer.from(id, "base64").toString("hex");

/** A tiny OTLP/HTTP JSON receiver on 127.0.0.1 (what a collector would be). */
function startReceiver(spans: ReceivedSpan[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpJson;
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "";
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              name: s.name,
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
            });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const id = uniqueId("tracing");
const platform = new TestPlatform(`${id}.`);
const spans: ReceivedSpan[] = [];
const processes: ServiceProcess[] = [];
let receiver: Server;
let databaseUrl = "";
let gatewayUrl = "";

beforeAll(async () => {
  receiver = await startReceiver(spans);
  await platform.createTopics();
  databaseUrl = await createDatabase(id);
  const env = {
    TOPIC_PREFIX: `${id}.`,
    STATE_NAMESPACE: `${id}:`,
    DATABASE_URL: databaseUrl,
    PING_COUNTER_GROUP_ID: `${id}-counter`,
    PING_COUNTER_FLUSH_INTERVAL_MS: "200",
    PINGS_SINK_GROUP_ID: `${id}-sink`,
    LOG_LEVEL: "warn",
    OTEL_TRACES_EXPORTER: "otlp",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
  };
  for (const entry of [
    "dist/producers/gateway/main.js",
    "dist/processors/ping-counter/main.js",
    "dist/sinks/pings/main.js",
  ]) {
    processes.push(await ServiceProcess.start(entry, env));
  }
  gatewayUrl = `http://127.0.0.1:${processes[0]?.port}`;
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await platform.close();
  await new Promise((r) => receiver.close(r));
  if (databaseUrl !== "") await dropDatabase(id);
});

describe("OpenTelemetry across processes", () => {
  it("one ping's trace holds the gateway, produce, counter and sink spans", { timeout: 90_000 }, async () => {
    const callerTraceId = "0af7651916cd43dd8448eb211c80319c";
    const response = await fetch(`${gatewayUrl}/ping.v1.PingService/Ping`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${callerTraceId}-b7ad6b7169203331-01` },
      body: '{"timestamp_ms": 1728926370000}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("traceparent")).toMatch(new RegExp(`^00-${callerTraceId}-`));
    const inTrace = () => spans.filter((s) => s.traceId === callerTraceId);
    const has = (service: string, pattern: RegExp) =>
      inTrace().some((s) => s.service === service && pattern.test(s.name));
    await waitUntil(
      () =>
        has("gateway", /PingService\/Ping$/) &&
        has("gateway", /pings publish$/) &&
        has("ping-counter", /pings process$/) &&
        has("ping-counter", /pings commit$/) &&
        has("pings-sink", /pings process$/) &&
        has("pings-sink", /pings commit$/),
      { timeoutMs: 60_000, describe: () => `spans of the trace: ${JSON.stringify(inTrace())}` },
    );
    const trace = inTrace();
    const rpc = trace.find((s) => /PingService\/Ping$/.test(s.name));
    const publish = trace.find((s) => /pings publish$/.test(s.name));
    // The caller's span is the RPC's parent, the RPC the produce's, the produce every consumer's.
    expect(rpc?.parentSpanId).toBe("b7ad6b7169203331");
    expect(publish?.parentSpanId).toBe(rpc?.spanId);
    for (const s of trace.filter((t) => / process$/.test(t.name))) expect(s.parentSpanId).toBe(publish?.spanId);
  });
});
