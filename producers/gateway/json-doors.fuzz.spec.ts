import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { EnvReader } from "../../runtime/config/env-reader.js";
import type { OutgoingRecord, RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { readGatewayConfig } from "./config.js";
import { handleJsonRoute, type JsonRoute } from "./json-route.js";
import { parseEventBody, parseJsonKeepingNumbers } from "./notification-input.js";
import type { PendingTransactionsReader } from "./pending-transactions-reader.js";
import type { PingCountReader } from "./ping-count-reader.js";
import { pingServiceImpl } from "./ping-service.js";
import { parsePostbackBody } from "./postback-doors.js";
import { preparePostback } from "./postback-request.js";
import { transactionServiceImpl } from "./transaction-service.js";

// The doors' decoding and validation are the subject; Kafka, the registry and Dragonfly are not,
// so the writes land in an in-memory list (the integration tests cover the real stack).
const written: OutgoingRecord[] = [];
const producer = {
  async send(topic: string, record: OutgoingRecord) {
    written.push(record);
    return { topic, partition: 0, offset: written.length - 1 };
  },
} as unknown as RecordProducer;
const codec = {
  encode: (_topic: string, _schema: unknown, _message: unknown, key: string) => ({
    key,
    value: Buffer.alloc(1),
    headers: {},
  }),
} as unknown as TopicCodec;
const pending = {
  list: async () => ({ transactions: [], caughtUp: true }),
  ownerOf: async () => null,
} as unknown as PendingTransactionsReader;
const counts = { read: async () => ({ total: 0, minutes: [], source: "redis" }) } as unknown as PingCountReader;
const config = readGatewayConfig(new EnvReader({}));
const policy = new OutboundPolicy({ cidrs: ["127.0.0.1/32"], hosts: [] });
const limits = { maxUrlChars: 4_096, maxDataObjects: 100, maxObjectBytes: 4_096, maxRequestBytes: 65_536 };

const routes: JsonRoute[] = [
  {
    method: "POST",
    path: "/event",
    maxBodyBytes: 32_768,
    parseBody: parseJsonKeepingNumbers,
    async handle(body) {
      const input = parseEventBody(body);
      return { status: 200, body: { id: input.id.toString() } };
    },
  },
  {
    method: "POST",
    path: "/postback",
    maxBodyBytes: limits.maxRequestBytes,
    async handle(body) {
      return { status: 200, body: { n: preparePostback(parsePostbackBody(body), limits, policy).deliveries.length } };
    },
  },
];

let server: Server;
let base: string;

beforeAll(async () => {
  const connect = connectNodeAdapter({
    jsonOptions: { ignoreUnknownFields: false },
    routes: (router) => {
      router.service(PingService, pingServiceImpl({ producer, codec, pingsTopic: "pings", counts, config }));
      router.service(
        TransactionService,
        transactionServiceImpl({
          producer,
          codec,
          transactionsTopic: "transactions",
          pending,
          config,
          outboundPolicy: policy,
        }),
      );
    },
  });
  const signal = new AbortController().signal;
  server = createServer((req, res) => {
    if (!handleJsonRoute(routes, req, res, signal)) connect(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function post(path: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
}

/** JSON text: valid documents, documents with lone surrogates / NUL / huge numbers, and garbage. */
const jsonish = (fields: fc.Arbitrary<Record<string, unknown>>) =>
  fc.oneof(
    { weight: 4, arbitrary: fields.map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fields.map((o) => JSON.stringify(o).slice(0, -1)) },
  );
const weird = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "",
    " ",
    "a\u0000b",
    "\ud800",
    "http://127.0.0.1:9/cb",
    "http://169.254.169.254/x",
    "connect+http://0x7f.1",
  ),
  fc.integer(),
  fc.double(),
  fc.constantFrom("9223372036854775807", "-1", "1e400", "NaN", "18446744073709551616"),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 1 }),
);
const startFields = fc.record(
  {
    clientId: weird,
    client_id: weird,
    transactionId: weird,
    transactionType: weird,
    callbackTarget: weird,
    timeoutSeconds: weird,
    payloadJson: weird,
    payloadBytes: weird,
    extra: weird,
  },
  { requiredKeys: [] },
);
const pingFields = fc.record(
  { timestampMs: weird, timestamp_ms: weird, fromMs: weird, toMs: weird, x: weird },
  { requiredKeys: [] },
);

/** Connect JSON: 200, or an error whose code is a client error (never internal/unknown). */
function expectConnectAnswer(answer: { status: number; json: Record<string, unknown> }): void {
  if (answer.status === 200) return;
  expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(500);
  expect(answer.json.code, JSON.stringify(answer.json)).toBe("invalid_argument");
  expect(typeof answer.json.message).toBe("string");
}

/** Plain routes: 200, or a 4xx `{"error": {"code", "field", "message"}}` naming a field. */
function expectPlainAnswer(answer: { status: number; json: Record<string, unknown> }): void {
  if (answer.status === 200) return;
  const error = answer.json.error as { code?: string; field?: string } | undefined;
  expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(500);
  expect(error?.code).toBe("invalid_argument");
  expect(error?.field ?? "", JSON.stringify(answer.json)).not.toBe("");
}

describe("JSON doors (fuzzed over HTTP)", () => {
  it("TransactionService/Start, Stop and ListPending answer ok or invalid_argument", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("Start", "Stop", "ListPending"), jsonish(startFields), async (method, body) => {
        expectConnectAnswer(await post(`/transactions.v1.TransactionService/${method}`, body));
      }),
      { numRuns: 100 },
    );
  });

  it("PingService/Ping and PingCount answer ok or invalid_argument", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("Ping", "PingCount"), jsonish(pingFields), async (method, body) => {
        expectConnectAnswer(await post(`/ping.v1.PingService/${method}`, body));
      }),
      { numRuns: 150 },
    );
  });

  it("POST /event answers the notification or a field-named 4xx", async () => {
    const fields = fc.record({ id: weird, description: weird, other: weird }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(jsonish(fields), async (body) => {
        expectPlainAnswer(await post("/event", body));
      }),
      { numRuns: 150 },
    );
  });

  it("POST /postback answers the deliveries or a field-named 4xx", async () => {
    const endpoint = fc.record({ method: weird, url: weird }, { requiredKeys: [] });
    const data = fc.oneof(
      fc.array(fc.dictionary(fc.string({ maxLength: 4 }), weird, { maxKeys: 3 }), { maxLength: 3 }),
      weird,
    );
    const fields = fc.record({ endpoint: fc.oneof(endpoint, weird), data, more: weird }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(jsonish(fields), async (body) => {
        expectPlainAnswer(await post("/postback", body));
      }),
      { numRuns: 150 },
    );
  });

  it("refuses the text columns' poison at the door: U+0000 in ids, types and callback targets", async () => {
    const nul = "a\u0000b";
    const start = { clientId: "c", transactionId: "t", callbackTarget: "http://127.0.0.1:9/cb", timeoutSeconds: 5 };
    for (const [field, value] of [
      ["clientId", nul],
      ["transactionId", nul],
      ["transactionType", nul],
      ["callbackTarget", `http://127.0.0.1:9/cb${nul}`],
    ] as const) {
      const answer = await post(
        "/transactions.v1.TransactionService/Start",
        JSON.stringify({ ...start, [field]: value }),
      );
      expect(answer.status, field).toBe(400);
      expect(String(answer.json.message)).toContain("U+0000");
    }
    expect((await post("/transactions.v1.TransactionService/Start", JSON.stringify(start))).status).toBe(200);
  });
});
