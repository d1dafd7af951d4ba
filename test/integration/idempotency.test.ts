import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { PING_COUNTER, pingCountersKey } from "../../processors/ping-counter/index.js";
import { offsetsKey } from "../../runtime/state/redis-state-store.js";
import { FlowStack } from "../helpers/flow-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { stackEnv } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

// Retry-safe writes (issue 13 item 3) on a gateway, counter and pings sink of our own: a key
// repeated over every door answers the first result and counts once in PingCount and Postgres,
// also when the gateway's result cache lost the entry (a crash between the ack and the cache write).
const stack = new FlowStack("idem", {
  gateway: "dist/producers/gateway/main.js",
  counter: "dist/processors/ping-counter/main.js",
  sink: "dist/sinks/pings/main.js",
});
const redis = new Redis(stackEnv.REDIS_URL);
const namespace = () => stack.env.STATE_NAMESPACE ?? "";
let base = "";

beforeAll(async () => {
  await stack.setUp({
    PING_COUNTER_GROUP_ID: `${stack.id}-counter`,
    PING_COUNTER_FLUSH_INTERVAL_MS: "100",
    PINGS_SINK_GROUP_ID: `${stack.id}-sink`,
    PINGS_SINK_FLUSH_INTERVAL_MS: "100",
  });
  await stack.start("gateway", "counter", "sink");
  base = stack.urlOf("gateway");
}, 120_000);

afterAll(async () => {
  await stack.close();
  redis.disconnect();
}, 60_000);

const T = 1_728_926_400_000;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Forgets every cached first answer of this stack (what a gateway crash before its cache write leaves). */
async function dropResultCache(): Promise<number> {
  const keys = await redis.keys(`${namespace()}tributary:idempotency:*`);
  if (keys.length > 0) await redis.del(...keys);
  return keys.length;
}

async function topicEnd(name: string): Promise<number> {
  const ends = await stack.platform.kafka.partitionOffsets(stack.platform.topic(name));
  return ends.reduce((n, e) => n + e.high, 0);
}

async function caughtUp(): Promise<void> {
  const end = await topicEnd("pings");
  const counterAt = async () =>
    Object.values(await redis.hgetall(offsetsKey(namespace(), PING_COUNTER))).reduce((n, v) => n + Number(v), 0);
  const sinkAt = async () =>
    Number(
      (await stack.db().query<{ n: string }>("SELECT coalesce(sum(next_offset), 0) AS n FROM tributary_offsets"))
        .rows[0]?.n ?? 0,
    );
  await waitUntil(async () => (await counterAt()) === end && (await sinkAt()) === end, {
    timeoutMs: 60_000,
    describe: async () => `counter at ${await counterAt()}, sink at ${await sinkAt()} of ${end}`,
  });
}

describe("retry-safe Ping", () => {
  it("answers a repeated key the first result over Connect, gRPC, gRPC-Web and the request field, counting it once", async () => {
    const grpc = createClient(PingService, createGrpcTransport({ baseUrl: base }));
    const grpcWeb = createClient(PingService, createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" }));
    const answers = new Map<string, Set<string>>();
    const note = (key: string, id: string, offset: string | bigint) => {
      const set = answers.get(key) ?? new Set<string>();
      set.add(`${id}@${offset}`);
      answers.set(key, set);
    };
    // Connect JSON over HTTP/1.1: three times in a row, then twice at once.
    for (let i = 0; i < 3; i++) {
      const r = await post("/ping.v1.PingService/Ping", { timestamp_ms: T }, { "idempotency-key": "connect-1" });
      expect(r.status).toBe(200);
      note("connect-1", String(r.body.id), String(r.body.offset ?? "0"));
    }
    const concurrent = await Promise.all(
      [1, 2].map(() => post("/ping.v1.PingService/Ping", { timestamp_ms: T + 1 }, { "idempotency-key": "connect-2" })),
    );
    for (const r of concurrent) note("connect-2", String(r.body.id), String(r.body.offset ?? "0"));
    // gRPC (HTTP/2) and gRPC-Web, key in the metadata.
    for (let i = 0; i < 3; i++) {
      const g = await grpc.ping({ timestampMs: BigInt(T + 2) }, { headers: { "idempotency-key": "grpc-1" } });
      note("grpc-1", g.id, g.offset);
      const w = await grpcWeb.ping({ timestampMs: BigInt(T + 3) }, { headers: { "idempotency-key": "grpc-web-1" } });
      note("grpc-web-1", w.id, w.offset);
    }
    // The ping id chosen by the client, in the request field; then the same key as a header.
    const field = await grpc.ping({ timestampMs: BigInt(T + 4), idempotencyKey: "field-1" });
    note("field-1", field.id, field.offset);
    const header = await post("/ping.v1.PingService/Ping", { timestamp_ms: T + 4 }, { "idempotency-key": "field-1" });
    note("field-1", String(header.body.id), String(header.body.offset ?? "0"));
    for (const [key, set] of answers) expect([key, set.size]).toEqual([key, 1]);

    // Two keyless pings are two pings, as before.
    for (let i = 0; i < 2; i++)
      expect((await post("/ping.v1.PingService/Ping", { timestamp_ms: T + 5 })).status).toBe(200);

    // A crash between the ack and the cache write: the entries are gone, the retries produce
    // again (same derived ids), and the counter and the sink still count each key once.
    const dropped = await dropResultCache();
    expect(dropped).toBe(5);
    const retried = await post("/ping.v1.PingService/Ping", { timestamp_ms: T }, { "idempotency-key": "connect-1" });
    const [firstConnect] = [...(answers.get("connect-1") ?? [])];
    expect(retried.body.id).toBe(firstConnect?.split("@")[0]);
    await grpc.ping({ timestampMs: BigInt(T + 2) }, { headers: { "idempotency-key": "grpc-1" } });

    const distinct = answers.size + 2;
    await caughtUp();
    const records = await topicEnd("pings");
    const count = await post("/ping.v1.PingService/PingCount", {});
    expect(count.body).toMatchObject({ total: String(distinct), source: "dragonfly" });
    expect(Number((await redis.hgetall(pingCountersKey(namespace()))).total)).toBe(distinct);
    const rows = await stack.db().query<{ n: string }>("SELECT count(*) AS n FROM pings");
    expect(Number(rows.rows[0]?.n)).toBe(distinct);
    // The duplicates did reach the topic: the counter and the sink are what kept them out.
    expect(records).toBeGreaterThan(distinct);
    const seenHashes = await redis.keys(`${namespace()}ping:seen:*`);
    expect(seenHashes.length).toBeGreaterThan(0);
    expect(await redis.pttl(seenHashes[0] ?? "")).toBeGreaterThan(86_000_000);
    console.log(JSON.stringify({ distinct, records, counted: distinct, seenHashes: seenHashes.length }));
  });

  it("refuses a malformed key or a key reused for another ping, naming the field", async () => {
    const tooLong = await post(
      "/ping.v1.PingService/Ping",
      { timestamp_ms: T },
      { "idempotency-key": "x".repeat(129) },
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({ code: "invalid_argument" });
    expect(String(tooLong.body.message)).toMatch(/^Idempotency-Key: must be at most 128 characters/);
    const badChars = await post("/ping.v1.PingService/Ping", { timestamp_ms: T }, { "idempotency-key": "a;b" });
    expect(String(badChars.body.message)).toMatch(/^Idempotency-Key: may contain only/);
    const field = await post("/ping.v1.PingService/Ping", { timestamp_ms: T, idempotency_key: "a b" });
    expect(String(field.body.message)).toMatch(/^idempotency_key: /);
    const mismatch = await post(
      "/ping.v1.PingService/Ping",
      { timestamp_ms: T, idempotency_key: "k-a" },
      { "idempotency-key": "k-b" },
    );
    expect(String(mismatch.body.message)).toMatch(/^idempotency_key: differs from the Idempotency-Key header/);
    expect(
      (await post("/ping.v1.PingService/Ping", { timestamp_ms: T }, { "idempotency-key": "reuse-1" })).status,
    ).toBe(200);
    const reused = await post(
      "/ping.v1.PingService/Ping",
      { timestamp_ms: T + 60_000 },
      { "idempotency-key": "reuse-1" },
    );
    expect(reused.status).toBe(400);
    expect(String(reused.body.message)).toMatch(/^Idempotency-Key: was already used for a different request/);
  });
});

describe("retry-safe Start, Stop and notifications", () => {
  const start = (transactionId: string, timeoutSeconds: number) => ({
    client_id: "idem-client",
    transaction_type: "t",
    transaction_id: transactionId,
    callback_target: "http://127.0.0.1:1/cb",
    timeout_seconds: timeoutSeconds,
  });

  it("answers a retried Start the first deadline and writes it once; Stop likewise", async () => {
    const path = "/transactions.v1.TransactionService/Start";
    const first = await post(path, start("tx-keyed", 60), { "idempotency-key": "start-1" });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    const again = await post(path, start("tx-keyed", 60), { "idempotency-key": "start-1" });
    expect(again.body).toEqual(first.body);
    const other = await post(path, start("tx-keyed", 61), { "idempotency-key": "start-1" });
    expect(String(other.body.message)).toMatch(/^Idempotency-Key: was already used/);
    // Control: a keyless retry is a second Start record (the timer ignores it as duplicate_start).
    await post(path, start("tx-plain", 60));
    await post(path, start("tx-plain", 60));
    for (let i = 0; i < 2; i++) {
      const stop = await post(
        "/transactions.v1.TransactionService/Stop",
        { transaction_id: "tx-keyed" },
        { "idempotency-key": "stop-1" },
      );
      expect(stop.body).toEqual({ transactionId: "tx-keyed" });
    }
    const records = await readTopic(stack.platform.kafka, stack.platform.topic("transactions"));
    const perId = (id: string) => records.filter((r) => r.key === id).length;
    expect({ keyed: perId("tx-keyed"), plain: perId("tx-plain") }).toEqual({ keyed: 2, plain: 2 });
  });

  it("answers a retried POST /event the first stamped notification and writes it once", async () => {
    const body = { id: 4242, description: "retry me" };
    const first = await post("/event", body, { "idempotency-key": "event-1" });
    expect(first.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    const again = await post("/event", body, { "idempotency-key": "event-1" });
    expect(again.body).toEqual(first.body);
    const records = await readTopic(stack.platform.kafka, stack.platform.topic("notifications"));
    expect(records.length).toBe(1);
  });
});
