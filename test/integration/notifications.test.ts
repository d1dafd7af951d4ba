import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotificationSchema } from "../../gen/notifications/v1/notification_pb.js";
import { NotificationService } from "../../gen/notifications/v1/notification_service_pb.js";
import { DLQ_HEADERS } from "../../runtime/processor/dead-letter.js";
import { NotificationsStack } from "../helpers/notifications-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { runCli, runCommand } from "../helpers/run-command.js";
import { waitUntil } from "../helpers/wait-until.js";

const stack = new NotificationsStack();
beforeAll(async () => {
  await stack.setUp();
  await Promise.all([stack.startGateway(), stack.startLogger()]);
}, 120_000);
afterAll(() => stack.close());

const RFC3339_NANOS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const cliEnv = () => ({ TOPIC_PREFIX: stack.prefix, LOG_LEVEL: "warn" });

describe("POST /event (seed 001)", () => {
  it("takes the seed's curl verbatim; the notification is on the topic, in the log and in the table", async () => {
    const curl = await runCommand("curl", [
      "-sS",
      "-X",
      "POST",
      `${stack.gatewayUrl.replace("127.0.0.1", "localhost")}/event`,
      "-H",
      "Content-Type: application/json",
      "-H",
      "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "-d",
      '{"id": 123, "description": "hello world"}',
    ]);
    expect(curl.stderr).toBe("");
    const answer = JSON.parse(curl.stdout) as { id: number; description: string; timestamp: string };
    expect(answer).toMatchObject({ id: 123, description: "hello world" });
    expect(answer.timestamp).toMatch(RFC3339_NANOS);
    expect(Math.abs(Date.parse(answer.timestamp) - Date.now())).toBeLessThan(60_000);

    const tail = await runCli(["tail", "notifications", "--from", "beginning"], cliEnv());
    expect(tail.code).toBe(0);
    const tailed = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; value: unknown; headers: Record<string, string> });
    expect(tailed).toContainEqual(
      expect.objectContaining({
        key: "123",
        value: { id: "123", description: "hello world", timestamp: answer.timestamp },
      }),
    );

    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await waitUntil(() => stack.loggedLines().some((l) => l.notification.timestamp === answer.timestamp), {
      timeoutMs: 15_000,
      intervalMs: 50,
      describe: () => stack.loggers[0]?.output.join("").slice(-2_000) ?? "",
    });
    const line = stack.loggedLines().find((l) => l.notification.timestamp === answer.timestamp);
    expect(line).toMatchObject({ notification: { id: "123", description: "hello world" }, traceId });
    expect(line?.partition).toBeTypeOf("number");
    expect(line?.offset).toBeTypeOf("number");

    const row = async () =>
      (
        await stack
          .pool()
          .query('SELECT id::text, description, "timestamp", trace_id FROM notifications WHERE "timestamp" = $1', [
            answer.timestamp,
          ])
      ).rows[0] as Record<string, string> | undefined;
    await waitUntil(async () => (await row()) !== undefined, { timeoutMs: 15_000, describe: () => "no row" });
    expect(await row()).toEqual({
      id: "123",
      description: "hello world",
      timestamp: answer.timestamp,
      trace_id: traceId,
    });
  });

  it("keeps int64 ids exact and timestamps strictly increasing", async () => {
    const post = async (id: string) => {
      const r = await fetch(`${stack.gatewayUrl}/event`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"id": ${id}, "description": "big"}`,
      });
      return { status: r.status, text: await r.text() };
    };
    const big = await post("9223372036854775807");
    expect(big.status).toBe(200);
    expect(big.text).toMatch(/^\{"id":9223372036854775807,/);
    const stamps: string[] = [];
    for (let i = 0; i < 20; i++)
      stamps.push((JSON.parse((await post(String(i + 1))).text) as { timestamp: string }).timestamp);
    // Same length, same format: lexical order is time order.
    expect(stamps).toHaveLength(20);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  const huge = "x".repeat(4_097);
  it.each([
    ["string id", 400, "id", '{"id": "123", "description": "hello world"}'],
    ["float id", 400, "id", '{"id": 1.5, "description": "hello world"}'],
    ["negative id", 400, "id", '{"id": -123, "description": "hello world"}'],
    ["missing id", 400, "id", '{"description": "hello world"}'],
    ["id beyond 2^63", 400, "id", '{"id": 9223372036854775808, "description": "hello world"}'],
    ["huge description", 400, "description", `{"id": 1, "description": "${huge}"}`],
    ["description over the body limit", 413, "body", `{"id": 1, "description": "${"y".repeat(40_000)}"}`],
    ["missing description", 400, "description", '{"id": 1}'],
    ["unknown field", 400, "timestamp", '{"id": 1, "description": "x", "timestamp": "2025-02-25T22:06:25.478310425Z"}'],
    ["malformed JSON", 400, "body", '{"id": 1, "description": '],
    ["empty body", 400, "body", ""],
    ["not an object", 400, "body", "[123]"],
  ])("%s → HTTP %i naming %s, nothing written", async (_name, status, field, body) => {
    const before = await stack.topicCount("notifications");
    const response = await fetch(`${stack.gatewayUrl}/event`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(status);
    const error = (await response.json()) as { error: { code: string; field: string; message: string } };
    expect(error.error).toMatchObject({ code: "invalid_argument", field });
    expect(await stack.topicCount("notifications")).toBe(before);
  });

  it("wrong content type → HTTP 415 naming content-type, nothing written", async () => {
    const before = await stack.topicCount("notifications");
    const response = await fetch(`${stack.gatewayUrl}/event`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"id": 123, "description": "hello world"}',
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { field: string } }).error.field).toBe("content-type");
    expect(await stack.topicCount("notifications")).toBe(before);
  });
});

describe("gateway metrics", () => {
  it("counts notification requests by door and outcome", async () => {
    const metrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    const value = (door: string, outcome: string) =>
      Number(
        new RegExp(`tributary_notifications_total\\{door="${door}",outcome="${outcome}"[^}]*\\} (\\d+)`).exec(
          metrics,
        )?.[1] ?? 0,
      );
    expect(value("event", "accepted")).toBeGreaterThanOrEqual(22);
    expect(value("event", "rejected")).toBeGreaterThanOrEqual(8);
  });
});

describe("NotificationService/Publish", () => {
  it("answers the full notification over gRPC and refuses bad input with invalid_argument naming the field", async () => {
    const client = createClient(NotificationService, createGrpcTransport({ baseUrl: stack.gatewayUrl }));
    const published = await client.publish({ id: 77n, description: "over grpc" });
    expect(published).toMatchObject({ id: 77n, description: "over grpc" });
    expect(published.timestamp).toMatch(RFC3339_NANOS);
    const before = await stack.topicCount("notifications");
    for (const [request, field] of [
      [{ id: -1n, description: "x" }, "id"],
      [{ id: 0n, description: "x" }, "id"],
      [{ id: 1n, description: "" }, "description"],
      [{ id: 1n, description: "z".repeat(5_000) }, "description"],
    ] as const) {
      const err = await client.publish(request).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(err?.rawMessage).toMatch(new RegExp(`^${field}: `));
    }
    expect(await stack.topicCount("notifications")).toBe(before);
  });

  it("refuses unknown JSON fields over Connect", async () => {
    const response = await fetch(`${stack.gatewayUrl}/notifications.v1.NotificationService/Publish`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"id": 5, "description": "x", "bogus": 1}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string; message: string }).message).toMatch(/bogus/);
  });
});

describe("notification-logger", () => {
  it("sends a poison record to notifications.dlq and keeps consuming", async () => {
    const producer = await stack.platform.producer();
    await producer.send(stack.platform.topic("notifications"), {
      key: "poison",
      value: Buffer.from("not protobuf"),
      headers: {},
    });
    const bad = create(NotificationSchema, { id: 9n, description: "bad time", timestamp: "yesterday" });
    await stack.platform.send("notifications", NotificationSchema, bad, "9");
    const after = await fetch(`${stack.gatewayUrl}/event`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"id": 4242, "description": "after the poison"}',
    });
    expect(after.status).toBe(200);
    await waitUntil(async () => (await stack.topicCount("notifications.dlq")) === 2, {
      timeoutMs: 45_000,
      describe: async () => `dlq has ${await stack.topicCount("notifications.dlq")}`,
    });
    const dead = await readTopic(stack.platform.kafka, stack.platform.topic("notifications.dlq"));
    expect(dead.map((r) => r.key).sort()).toEqual(["9", "poison"]);
    expect(dead.every((r) => r.headers[DLQ_HEADERS.reason] !== undefined)).toBe(true);
    await waitUntil(
      async () =>
        (await stack.pool().query("SELECT 1 FROM notifications WHERE description = 'after the poison'")).rowCount === 1,
      { timeoutMs: 45_000, describe: () => "row after the poison missing" },
    );
  });

  it("two instances split the partitions; killing one loses nothing (exactly once in the table)", {
    timeout: 180_000,
  }, async () => {
    const second = await stack.startLogger();
    const first = stack.loggers[0];
    if (first === undefined) throw new Error("first logger missing");
    const run = runCli(
      [
        "simulate",
        "event",
        "--url",
        stack.gatewayUrl,
        "--rate",
        "200/s",
        "--duration",
        "8s",
        "--json",
        "-q",
        "--seed",
        "5",
      ],
      cliEnv(),
    );
    await new Promise((r) => setTimeout(r, 3_000));
    await first.kill9();
    const result = await run;
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: number; sent: number };
    expect(report.ok).toBeGreaterThan(0);
    const onTopic = await stack.topicCount("notifications");
    const stored = async () =>
      Number(
        (
          await stack
            .pool()
            .query<{ n: string }>("SELECT count(DISTINCT (source_partition, source_offset)) AS n FROM notifications")
        ).rows[0]?.n,
      );
    // Two records of the topic are the poison ones (in the DLQ, not the table).
    await waitUntil(async () => (await stored()) === onTopic - 2, {
      timeoutMs: 90_000,
      intervalMs: 500,
      describe: async () => `table ${await stored()} / topic ${onTopic} (2 poison)`,
    });
    expect(await stack.tableCount()).toBe(onTopic - 2);
    // Every offset of every partition is present except the two dead letters: nothing skipped.
    const { rows } = await stack
      .pool()
      .query<{ p: number; n: string; max: string }>(
        "SELECT source_partition AS p, count(*) AS n, max(source_offset) AS max FROM notifications GROUP BY 1",
      );
    const ends = await stack.platform.kafka.partitionOffsets(stack.platform.topic("notifications"));
    const missing = ends.reduce((n, e) => {
      const row = rows.find((r) => r.p === e.partition);
      return n + (e.high - e.low) - Number(row?.n ?? 0);
    }, 0);
    expect(missing).toBe(2);
    expect(second.running).toBe(true);
  });
});

describe("tributary simulate ping (CI-sized)", () => {
  it("its summary matches the server side: ok = accepted = records on the topic", { timeout: 120_000 }, async () => {
    const before = await stack.topicCount("pings");
    const result = await runCli(
      ["simulate", "ping", "--url", stack.gatewayUrl, "--rate", "2000/s", "--duration", "5s", "--json"],
      cliEnv(),
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      offered: number;
      sent: number;
      ok: number;
      failed: number;
      missed: number;
      latencyMs: { p99: number };
    };
    expect(report.offered).toBe(10_000);
    expect(report.sent + report.missed).toBe(report.offered);
    expect(report.ok + report.failed).toBe(report.sent);
    expect(report.ok).toBeGreaterThan(0);
    // Progress lines on stderr while it ran.
    expect(result.stderr).toMatch(/sent \d+ {2}ok \d+ {2}err \d+ {2}rate \d+\/s {2}p99/);
    expect((await stack.topicCount("pings")) - before).toBe(report.ok);
    const metrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    const accepted =
      /tributary_rpc_requests_total\{[^}]*method="ping\.v1\.PingService\/Ping"[^}]*code="ok"[^}]*\} (\d+)/.exec(
        metrics,
      );
    expect(Number(accepted?.[1])).toBe(report.ok);
    process.stdout.write(
      `simulate ping 2000/s × 5 s: offered ${report.offered}, sent ${report.sent}, ok ${report.ok}, missed ${report.missed}, p99 ${report.latencyMs.p99} ms\n`,
    );
  });
});
