import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { FlowStack } from "../helpers/flow-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { repoRoot, stackEnv } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

// PingBatch / PingStream / POST /pings and coalesced single Pings, on a gateway and a ping-counter
// of this file's own (topic prefix, Dragonfly namespace, consumer group).
const MAX_ITEMS = 300;
const stack = new FlowStack("pbatch", {
  gateway: "dist/producers/gateway/main.js",
  counter: "dist/processors/ping-counter/main.js",
});
const redis = new Redis(stackEnv.REDIS_URL);
const countersKey = () => `${stack.id}:ping:counters`;
const MINUTE_MS = 60_000;
const baseMs = 1_728_926_331_000 - (1_728_926_331_000 % MINUTE_MS);

beforeAll(async () => {
  await stack.setUp({ PING_COUNTER_GROUP_ID: `${stack.id}-counter`, GATEWAY_PING_BATCH_MAX_ITEMS: String(MAX_ITEMS) });
  await stack.start("gateway", "counter");
}, 120_000);

afterAll(async () => {
  const keys = await redis.keys(`${stack.id}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await stack.close();
}, 120_000);

async function counters(): Promise<Record<string, string>> {
  return redis.hgetall(countersKey());
}

async function waitForTotal(total: number): Promise<Record<string, string>> {
  await waitUntil(async () => Number((await counters()).total ?? 0) >= total, {
    timeoutMs: 30_000,
    describe: async () => `${countersKey()} = ${JSON.stringify(await counters())}, wanted total ${total}`,
  });
  return counters();
}

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${stack.urlOf("gateway")}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

type Written = { id: string; timestampMs: string; partition?: number; offset?: string };

/** Every written ping is the record at its partition and offset, with its id as the key. */
async function expectRecordsAt(written: readonly Written[]): Promise<void> {
  const records = await readTopic(stack.platform.kafka, stack.platform.topic("pings"));
  const byPosition = new Map(records.map((r) => [`${r.partition}:${r.offset}`, r.key]));
  for (const w of written) expect(byPosition.get(`${w.partition ?? 0}:${w.offset ?? "0"}`)).toBe(w.id);
}

describe("PingBatch", () => {
  let counted = 0;

  it("writes every ping of a Connect JSON batch; the counter counts each, per event-time minute", async () => {
    const pings = Array.from({ length: 250 }, (_, i) => ({ timestamp_ms: baseMs + (i % 2) * MINUTE_MS + i }));
    const { status, json } = await post("/ping.v1.PingService/PingBatch", { pings });
    expect(status).toBe(200);
    const written = json.pings as Written[];
    expect(written).toHaveLength(250);
    expect(new Set(written.map((w) => w.id)).size).toBe(250);
    expect(written.map((w) => Number(w.timestampMs))).toEqual(pings.map((p) => p.timestamp_ms));
    counted += 250;
    const fields = await waitForTotal(counted);
    expect(Number(fields.total)).toBe(counted);
    expect(Number(fields[`minute:${baseMs / MINUTE_MS}`])).toBe(125);
    expect(Number(fields[`minute:${baseMs / MINUTE_MS + 1}`])).toBe(125);
    await expectRecordsAt(written);
  });

  it("refuses a batch with a bad ping naming its index and field, and writes none of it", async () => {
    const before = await stack.topicCount("pings");
    const pings = [{ timestamp_ms: baseMs }, { timestamp_ms: baseMs }, { timestamp_ms: baseMs }, { timestamp_ms: 0 }];
    const zero = await post("/ping.v1.PingService/PingBatch", { pings });
    expect(zero.status).toBe(400);
    expect(zero.json).toMatchObject({ code: "invalid_argument" });
    expect(String(zero.json.message)).toMatch(/^pings\[3\]\.timestamp_ms: is required/);
    const negative = await post("/ping.v1.PingService/PingBatch", {
      pings: [{ timestamp_ms: baseMs }, { timestamp_ms: -5 }],
    });
    expect(String(negative.json.message)).toMatch(/^pings\[1\]\.timestamp_ms: must be > 0/);
    const future = await post("/ping.v1.PingService/PingBatch", {
      pings: [{ timestamp_ms: Date.now() + 3 * 86_400_000 }],
    });
    expect(String(future.json.message)).toMatch(/^pings\[0\]\.timestamp_ms: is too far in the future/);
    const keyed = await post("/ping.v1.PingService/PingBatch", {
      pings: [{ timestamp_ms: baseMs }, { timestamp_ms: baseMs, idempotency_key: "k-1" }],
    });
    expect(String(keyed.json.message)).toMatch(/^pings\[1\]\.idempotency_key: is not supported in a batch/);
    const tooMany = await post("/ping.v1.PingService/PingBatch", {
      pings: Array.from({ length: MAX_ITEMS + 1 }, () => ({ timestamp_ms: baseMs })),
    });
    expect(String(tooMany.json.message)).toMatch(/^pings: more than 300 pings/);
    const empty = await post("/ping.v1.PingService/PingBatch", { pings: [] });
    expect(String(empty.json.message)).toMatch(/^pings: at least one ping/);
    expect(await stack.topicCount("pings")).toBe(before);
  });

  it("POST /pings: plain JSON, errors as {error: {code, field, message}}", async () => {
    const bad = await post("/pings", { pings: [{ timestamp_ms: baseMs }, { timestamp_ms: "soon" }] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: "invalid_argument", field: "pings[1].timestamp_ms" } });
    const unknown = await post("/pings", { pings: [{ timestamp_ms: baseMs, timestamp: 1 }] });
    expect(unknown.json).toMatchObject({ error: { field: "pings[0].timestamp" } });
    const zero = await post("/pings", { pings: [{ timestamp_ms: baseMs }, { timestamp_ms: 0 }] });
    expect(zero.json).toMatchObject({ error: { field: "pings[1].timestamp_ms" } });
    const good = await post("/pings", { pings: [{ timestamp_ms: baseMs }, { timestamp_ms: String(baseMs + 1) }] });
    expect(good.status).toBe(200);
    expect(good.json.pings as Written[]).toHaveLength(2);
    counted += 2;
    expect(Number((await waitForTotal(counted)).total)).toBe(counted);
  });

  it("over gRPC (grpc-js, unary and client streaming) and gRPC-Web", async () => {
    const definition = protoLoader.loadSync(join(repoRoot, "schemas/ping/v1/ping_service.proto"), {
      longs: String,
      keepCase: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      ping: { v1: { PingService: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } };
    };
    const stub = new loaded.ping.v1.PingService(
      `127.0.0.1:${stack.service("gateway").port}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
    type Answer = { pings: { id: string; partition: number; offset: string }[] };
    const batch = await new Promise<Answer>((resolve, reject) => {
      stub.PingBatch?.call(
        stub,
        { pings: [{ timestamp_ms: String(baseMs) }, { timestamp_ms: String(baseMs + 1) }] },
        (err: grpc.ServiceError | null, res: Answer) => (err ? reject(err) : resolve(res)),
      );
    });
    expect(batch.pings).toHaveLength(2);
    const streamed = await new Promise<Answer>((resolve, reject) => {
      const call = stub.PingStream?.call(stub, (err: grpc.ServiceError | null, res: Answer) =>
        err ? reject(err) : resolve(res),
      ) as grpc.ClientWritableStream<object>;
      for (let i = 0; i < 5; i++) call.write({ timestamp_ms: String(baseMs + i) });
      call.end();
    });
    expect(streamed.pings).toHaveLength(5);
    const badStream = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const call = stub.PingStream?.call(stub, (err: grpc.ServiceError | null) =>
        err ? resolve(err) : reject(new Error("a stream with a bad ping was accepted")),
      ) as grpc.ClientWritableStream<object>;
      call.write({ timestamp_ms: String(baseMs) });
      call.write({ timestamp_ms: "-1" });
      call.end();
    });
    expect(badStream.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(badStream.details).toMatch(/^pings\[1\]\.timestamp_ms/);
    stub.close();

    const web = createClient(
      PingService,
      createGrpcWebTransport({ baseUrl: stack.urlOf("gateway"), httpVersion: "1.1" }),
    );
    const viaWeb = await web.pingBatch({ pings: [{ timestampMs: BigInt(baseMs) }] });
    expect(viaWeb.pings).toHaveLength(1);
    const viaGrpc = createClient(PingService, createGrpcTransport({ baseUrl: stack.urlOf("gateway") }));
    const viaConnectGrpc = await viaGrpc.pingBatch({ pings: [{ timestampMs: BigInt(baseMs) }] });
    expect(viaConnectGrpc.pings).toHaveLength(1);
    counted += 2 + 5 + 1 + 1;
    expect(Number((await waitForTotal(counted)).total)).toBe(counted);
  });
});

describe("coalesced single Pings", () => {
  it("concurrent Pings share produce requests, and each caller gets its own record's position", async () => {
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        post("/ping.v1.PingService/Ping", { timestamp_ms: baseMs + i }).then((r) => {
          expect(r.status).toBe(200);
          return r.json as unknown as Written;
        }),
      ),
    );
    expect(new Set(answers.map((a) => `${a.partition ?? 0}:${a.offset ?? "0"}`)).size).toBe(64);
    await expectRecordsAt(answers);
  });
});
