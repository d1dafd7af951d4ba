import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowStack } from "../helpers/flow-stack.js";
import { KafkaCutProxy } from "../helpers/kafka-cut-proxy.js";
import { entryOf } from "../helpers/service-entries.js";
import { stackEnv } from "../helpers/stack-env.js";

// One gateway of our own (from dist/) whose only way to the broker is a proxy this test cuts at
// the end: the shared stack's broker is never touched.
const PRODUCE_TIMEOUT_MS = 3_000;
const HEADERS_TIMEOUT_MS = 2_000;
const READ_MAX_BYTES = 1_048_576;

const stack = new FlowStack("limits", { gateway: entryOf("gateway") });
let proxy: KafkaCutProxy;
let base = "";
let pid = 0;

beforeAll(async () => {
  proxy = await KafkaCutProxy.start(stackEnv.KAFKA_BROKERS);
  await stack.setUp({
    KAFKA_BROKERS: proxy.address,
    GATEWAY_PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS),
    GATEWAY_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    GATEWAY_READ_MAX_BYTES: String(READ_MAX_BYTES),
  });
  await stack.start("gateway");
  base = stack.urlOf("gateway");
  pid = stack.service("gateway").pid ?? 0;
}, 90_000);

afterAll(async () => {
  await stack.close();
  await proxy.close();
}, 60_000);

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** A POST that keeps the answer even when the server stops reading and closes mid-upload. */
function post(path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          ms: performance.now() - started,
        }),
      );
      res.on("error", reject);
    });
    // EPIPE / ECONNRESET while uploading is expected once the server has refused the body.
    req.on("error", (err) => setTimeout(() => reject(err), 2_000));
    req.end(body);
  });
}

function rssBytes(): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** A JSON body of about `bytes` bytes: a valid Ping padded with a long string field. */
function bigPing(bytes: number): string {
  return JSON.stringify({ timestamp_ms: 1728926331000, pad: "x".repeat(bytes) });
}

describe("size limits", () => {
  it("a 2 MB Connect JSON Ping is refused resource_exhausted naming the limit", async () => {
    const answer = await post("/ping.v1.PingService/Ping", bigPing(2_000_000));
    expect(answer.status).toBe(429); // Connect's HTTP status for resource_exhausted
    const error = JSON.parse(answer.body) as { code: string; message: string };
    expect(error.code).toBe("resource_exhausted");
    expect(error.message).toContain(String(READ_MAX_BYTES));
  });

  it("gateway RSS stays bounded under 10 bodies of 10 MB", async () => {
    const before = rssBytes();
    for (let i = 0; i < 10; i++) {
      const answer = await post("/ping.v1.PingService/Ping", bigPing(10_000_000)).catch(() => null);
      if (answer !== null) expect(answer.status).toBe(429);
    }
    const growth = rssBytes() - before;
    console.log(
      `gateway RSS ${(before / 1e6).toFixed(1)} MB → growth ${(growth / 1e6).toFixed(1)} MB after 100 MB sent`,
    );
    expect(growth).toBeLessThan(60_000_000);
  }, 90_000);

  it("a 2 MB POST /event is 413 naming the limit", async () => {
    const answer = await post("/event", JSON.stringify({ id: 1, description: "x".repeat(2_000_000) }));
    expect(answer.status).toBe(413);
    const { error } = JSON.parse(answer.body) as { error: { code: string; message: string; field: string } };
    expect(error).toMatchObject({ code: "invalid_argument", field: "body" });
    expect(error.message).toContain("32768");
  });
});

describe("unknown JSON fields", () => {
  it("Ping with an unknown field is invalid_argument naming it", async () => {
    const answer = await post(
      "/ping.v1.PingService/Ping",
      JSON.stringify({ timestamp_ms: 1728926331000, timestampMS: 1 }),
    );
    expect(answer.status).toBe(400);
    const error = JSON.parse(answer.body) as { code: string; message: string };
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain("timestampMS");
  });

  it("TransactionService/Start with an unknown field is invalid_argument naming it", async () => {
    const answer = await post(
      "/transactions.v1.TransactionService/Start",
      JSON.stringify({ client_id: "c", transaction_id: "t", timeout_seconds: 5, callbak_target: "x" }),
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("callbak_target"),
    });
  });

  it("POST /event with an unknown field names it", async () => {
    const answer = await post("/event", JSON.stringify({ id: 1, description: "d", extra: true }));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "invalid_argument", field: "extra" } });
  });
});

describe("slow clients", () => {
  it("a connection that sends half its headers is answered 408 and closed within the headers timeout", async () => {
    const started = performance.now();
    const { port } = new URL(base);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = tcpConnect(Number(port), "127.0.0.1", () => socket.write("POST /event HTTP/1.1\r\nHost: x\r\n"));
      let got = "";
      socket.on("data", (c: Buffer) => {
        got += c.toString();
      });
      socket.on("close", () => resolve(got));
      socket.on("error", reject);
    });
    const ms = performance.now() - started;
    console.log(`half-sent headers closed after ${ms.toFixed(0)} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms)`);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
  }, 10_000);

  it("a connection that sends nothing is closed within the headers timeout", async () => {
    const started = performance.now();
    const { port } = new URL(base);
    await new Promise<void>((resolve, reject) => {
      const socket = tcpConnect(Number(port), "127.0.0.1");
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    expect(performance.now() - started).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
  });
});

describe("deadlines and readiness with the broker unreachable", () => {
  it("is ready and writes while the broker answers", async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", components: { kafka: { ok: true } } });
    const ping = await post("/ping.v1.PingService/Ping", JSON.stringify({ timestamp_ms: 1728926331000 }));
    expect(ping.status).toBe(200);
  });

  it("answers deadline_exceeded by the caller's deadline and unavailable by the produce timeout", async () => {
    await proxy.cut();
    const body = JSON.stringify({ timestamp_ms: 1728926331000 });

    const withDeadline = await post("/ping.v1.PingService/Ping", body, { "connect-timeout-ms": "1000" });
    console.log(
      `Ping, Connect-Timeout-Ms 1000, broker cut: ${withDeadline.status} in ${withDeadline.ms.toFixed(0)} ms`,
    );
    expect(JSON.parse(withDeadline.body)).toMatchObject({ code: "deadline_exceeded" });
    expect(withDeadline.ms).toBeLessThan(2_000);

    const without = await post("/ping.v1.PingService/Ping", body);
    console.log(`Ping, no deadline, broker cut: ${without.status} in ${without.ms.toFixed(0)} ms`);
    expect(JSON.parse(without.body)).toMatchObject({ code: "unavailable" });
    expect(without.ms).toBeLessThan(PRODUCE_TIMEOUT_MS + 1_000);

    const start = await post(
      "/transactions.v1.TransactionService/Start",
      JSON.stringify({
        client_id: "c",
        transaction_id: "t",
        timeout_seconds: 5,
        callback_target: "https://example.com/cb",
      }),
      { "connect-timeout-ms": "1000" },
    );
    console.log(`Start, Connect-Timeout-Ms 1000, broker cut: ${start.status} in ${start.ms.toFixed(0)} ms`);
    expect(JSON.parse(start.body)).toMatchObject({ code: "deadline_exceeded" });
    expect(start.ms).toBeLessThan(2_000);

    const event = await post("/event", JSON.stringify({ id: 7, description: "while the broker is away" }));
    console.log(`POST /event, broker cut: ${event.status} in ${event.ms.toFixed(0)} ms`);
    expect(event.status).toBe(503);
    expect(JSON.parse(event.body)).toMatchObject({ error: { code: "unavailable" } });
    expect(event.ms).toBeLessThan(PRODUCE_TIMEOUT_MS + 1_000);
  }, 30_000);

  it("/readyz is not ready naming kafka while /healthz stays ok", async () => {
    const started = performance.now();
    const ready = await fetch(`${base}/readyz`);
    const ms = performance.now() - started;
    const body = (await ready.json()) as {
      status: string;
      detail: string;
      components: Record<string, { ok: boolean }>;
    };
    console.log(`/readyz with the broker cut: ${ready.status} in ${ms.toFixed(0)} ms: ${body.detail}`);
    expect(ready.status).toBe(503);
    expect(body.status).toBe("not_ready");
    expect(body.detail).toMatch(/^kafka: /);
    expect(body.components.kafka?.ok).toBe(false);
    expect(body.components.postgres?.ok).toBe(true);
    expect(ms).toBeLessThan(2_000);
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
  });
});
