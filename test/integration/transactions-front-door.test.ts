import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { DLQ_HEADERS } from "../../runtime/processor/dead-letter.js";
import { queryAll, queryOne } from "../helpers/databases.js";
import { readTopic } from "../helpers/read-topic.js";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// The callback receiver misbehaves on purpose for some transaction ids.
const stack = new TransactionsStack("txnfront");
beforeAll(async () => {
  await stack.setUp(
    {
      TRANSACTION_MAX_TIMEOUT_SECONDS: "3600",
      LOG_LEVEL: "info",
      CALLBACK_DISPATCHER_MAX_ATTEMPTS: "4",
      CALLBACK_DISPATCHER_RETRY_BASE_MS: "1000",
      CALLBACK_DISPATCHER_RETRY_MAX_DELAY_MS: "2000",
      CALLBACK_DISPATCHER_REQUEST_TIMEOUT_MS: "2000",
    },
    (callback, nth) => {
      const id = callback.timeout.started?.transactionId ?? "";
      if (id.startsWith("flaky-")) return nth <= 2 ? 500 : 200;
      if (id.startsWith("down-")) return 503;
      if (id.startsWith("gone-")) return 404;
      return 200;
    },
  );
  await stack.start("gateway", "timer", "dispatcher", "sink");
}, 120_000);
afterAll(() => stack.close());

const gatewayUrl = () => `http://127.0.0.1:${stack.service("gateway").port}`;

async function post(
  method: string,
  body: object,
): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const response = await fetch(`${gatewayUrl()}/transactions.v1.TransactionService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
}

describe("TransactionService at the edge", () => {
  const valid = { client_id: "c", transaction_id: "t", callback_target: "http://127.0.0.1:1/cb", timeout_seconds: 5 };
  it.each([
    ["Start", { ...valid, client_id: "" }, /^client_id: is required/],
    ["Start", { ...valid, transaction_id: " " }, /^transaction_id: is required/],
    ["Start", { ...valid, timeout_seconds: 0 }, /^timeout_seconds: must be > 0/],
    ["Start", { ...valid, timeout_seconds: -3 }, /^timeout_seconds: must be > 0/],
    ["Start", { ...valid, timeout_seconds: 3601 }, /^timeout_seconds: must be <= 3600/],
    ["Start", { ...valid, callback_target: "" }, /^callback_target: is required/],
    ["Start", { ...valid, callback_target: "callback" }, /^callback_target: must be a URL/],
    [
      "Start",
      { ...valid, callback_target: "ftp://h/x" },
      /^callback_target: scheme must be one of http: https: connect\+http: connect\+https:/,
    ],
    ["Start", { ...valid, payload_json: "{nope" }, /^payload_json: must be valid JSON/],
    ["Stop", {}, /^transaction_id: is required/],
    ["ListPending", {}, /^client_id: is required/],
  ])("%s %j → invalid_argument naming the field", async (method, body, message) => {
    const { status, body: error } = await post(method, body);
    expect(status).toBe(400);
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(message);
  });

  it("serves gRPC on the same port (buf curl)", async () => {
    const call = await runCommand(`${repoRoot}/node_modules/.bin/buf`, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--schema",
      "schemas",
      "-d",
      '{"client_id": "grpc", "transaction_id": "grpc-1", "callback_target": "http://127.0.0.1:1/cb", "timeout_seconds": 3600}',
      `${gatewayUrl()}/transactions.v1.TransactionService/Start`,
    ]);
    expect(call.stderr).not.toMatch(/"code"/);
    expect(JSON.parse(call.stdout)).toMatchObject({ transactionId: "grpc-1" });
    await stack.client().stop({ transactionId: "grpc-1" });
  });

  it("ListPending returns a client's pending Starts with their data, reading its own writes", async () => {
    const client = stack.client();
    const callback = stack.receiver.target();
    const payload = { case: "payloadJson" as const, value: '{"Param1":"France"}' };
    await client.start({
      clientId: "lister",
      transactionType: "a",
      transactionId: "l-1",
      callbackTarget: callback,
      payload,
      timeoutSeconds: 3600,
    });
    await client.start({
      clientId: "lister",
      transactionType: "b",
      transactionId: "l-2",
      callbackTarget: callback,
      payload: { case: "payloadBytes", value: new Uint8Array([0, 1, 254, 255]) },
      timeoutSeconds: 3600,
    });
    await client.start({ clientId: "other", transactionId: "o-1", callbackTarget: callback, timeoutSeconds: 3600 });
    const first = await client.listPending({ clientId: "lister" });
    expect(first.caughtUp).toBe(true);
    expect(first.pending.map((p) => [p.transactionId, p.transactionType, p.timeoutSeconds])).toEqual([
      ["l-1", "a", 3600],
      ["l-2", "b", 3600],
    ]);
    expect(first.pending[0]?.payload).toEqual(payload);
    expect(first.pending[1]?.payload).toEqual({ case: "payloadBytes", value: new Uint8Array([0, 1, 254, 255]) });
    await client.stop({ transactionId: "l-1" });
    expect((await client.listPending({ clientId: "lister" })).pending.map((p) => p.transactionId)).toEqual(["l-2"]);
    await client.stop({ transactionId: "l-2" });
    await client.stop({ transactionId: "o-1" });
    expect((await client.listPending({ clientId: "lister" })).pending).toEqual([]);
    expect(await stack.timerKeys()).toEqual([]);
  });

  it("records a Stop for an unknown transaction without failing", async () => {
    expect(await stack.client().stop({ transactionId: "never-started" })).toMatchObject({
      transactionId: "never-started",
    });
    const row = async () =>
      queryOne<{ n: string }>(
        stack.databaseUrl,
        "SELECT count(*) AS n FROM transaction_stray_stops WHERE transaction_id = 'never-started'",
      );
    await waitUntil(async () => (await row())?.n === "1", {
      timeoutMs: 10_000,
      describe: async () => JSON.stringify(await row()),
    });
  });

  it("treats a duplicate Start as the same transaction: one callback, with the first Start's data", {
    timeout: 30_000,
  }, async () => {
    const client = stack.client();
    const callbackTarget = stack.receiver.target();
    const first = await client.start({
      clientId: "dup",
      transactionId: "dup-1",
      callbackTarget,
      payload: { case: "payloadJson", value: '{"n":1}' },
      timeoutSeconds: 2,
    });
    await client.start({
      clientId: "dup",
      transactionId: "dup-1",
      callbackTarget,
      payload: { case: "payloadJson", value: '{"n":2}' },
      timeoutSeconds: 2,
    });
    await waitUntil(() => stack.receiver.forTransaction("dup-1").length > 0, {
      timeoutMs: 10_000,
      describe: () => "dup-1 callback",
    });
    // No sleeping to prove that nothing else comes: the timer has applied both Starts (ListPending
    // caught up, nothing pending) and fired exactly one timeout for them; the dispatcher has
    // finished it (below). A second callback would need a second timeout record.
    await waitUntil(
      async () => {
        const listed = await client.listPending({ clientId: "dup" });
        return listed.caughtUp && listed.pending.length === 0;
      },
      { timeoutMs: 10_000, describe: () => "dup-1 still pending" },
    );
    const timeouts = await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts"));
    expect(timeouts.filter((r) => r.key === "dup-1")).toHaveLength(1);
    const callbacks = stack.receiver.forTransaction("dup-1");
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]?.timeout.started?.payload).toEqual({ case: "payloadJson", value: '{"n":1}' });
    expect(callbacks[0]?.timeout.deadlineMs).toBe(first.deadlineMs);
    const row = async () =>
      queryOne<{ duplicate_starts: number; outcome: string }>(
        stack.databaseUrl,
        "SELECT duplicate_starts, outcome FROM transaction_outcomes WHERE transaction_id = 'dup-1'",
      );
    await waitUntil(async () => (await row())?.outcome === "callback_delivered", {
      timeoutMs: 10_000,
      describe: async () => JSON.stringify(await row()),
    });
    expect(await row()).toEqual({ duplicate_starts: 1, outcome: "callback_delivered" });
  });
});

describe("callback delivery", () => {
  it("retries with the same idempotency key, gives up into the DLQ, and never blocks other callbacks", {
    timeout: 60_000,
  }, async () => {
    const client = stack.client();
    const callbackTarget = stack.receiver.target();
    for (const id of ["flaky-1", "down-1", "gone-1"]) {
      await client.start({ clientId: "retry", transactionId: id, callbackTarget, timeoutSeconds: 1 });
    }
    const okStarts: { transactionId: string; deadlineMs: bigint }[] = [];
    for (let i = 0; i < 12; i++) {
      okStarts.push(
        await client.start({ clientId: "retry", transactionId: `ok-${i}`, callbackTarget, timeoutSeconds: 1 }),
      );
    }
    // While down-1 is being retried (for ~4 s), every other callback is delivered on time.
    await waitUntil(() => okStarts.every((s) => stack.receiver.forTransaction(s.transactionId).length === 1), {
      timeoutMs: 10_000,
      describe: async () =>
        `ok callbacks: ${JSON.stringify(stack.receiver.received.map((c) => [c.key, c.answered]))}\n` +
        `${await stack.diagnose()}\n` +
        `timer: ${stack.service("timer").output.join("")}\ndispatcher: ${stack.service("dispatcher").output.join("")}`,
    });
    // Not blocked: every other callback was delivered while down-1 still had attempts to go
    // (the schedule's timing itself is a spec on the manual clock: delivery-task.spec.ts).
    const downAttempts = () => stack.receiver.forTransaction("down-1").length;
    expect(downAttempts()).toBeLessThan(4);

    const rows = async () =>
      (
        await Promise.all(
          ["flaky-1", "down-1", "gone-1"].map((id) =>
            queryOne<{ id: string; status: string; attempts: number; last_status: string }>(
              stack.databaseUrl,
              "SELECT transaction_id AS id, status, attempts, last_status FROM transaction_callbacks WHERE transaction_id = $1",
              [id],
            ),
          ),
        )
      ).filter((r) => r !== undefined);
    await waitUntil(async () => (await rows()).every((r) => r.status !== "delivering") && (await rows()).length === 3, {
      timeoutMs: 30_000,
      describe: async () => JSON.stringify(await rows()),
    });
    expect(await rows()).toEqual([
      { id: "flaky-1", status: "delivered", attempts: 3, last_status: "http 200" },
      { id: "down-1", status: "failed", attempts: 4, last_status: "http 503" },
      { id: "gone-1", status: "failed", attempts: 1, last_status: "http 404" },
    ]);
    const attemptLog = await queryAll<{ attempt: number; result: string; next: boolean }>(
      stack.databaseUrl,
      `SELECT a.attempt, a.result, a.next_attempt_at IS NOT NULL AS next
       FROM transaction_callback_attempts a JOIN transaction_callbacks c USING (idempotency_key)
       WHERE c.transaction_id = 'flaky-1' ORDER BY a.attempt`,
    );
    expect(attemptLog).toEqual([
      { attempt: 1, result: "retry", next: true },
      { attempt: 2, result: "retry", next: true },
      { attempt: 3, result: "delivered", next: false },
    ]);
    const flaky = stack.receiver.forTransaction("flaky-1");
    expect(flaky.map((c) => c.answered)).toEqual([500, 500, 200]);
    expect(new Set(flaky.map((c) => c.key)).size).toBe(1);
    // Retries are scheduled, not immediate: each came after the previous one (gaps: the spec).
    const times = flaky.map((x) => x.receivedAtMs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(downAttempts()).toBe(4);

    const dead = await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts.dlq"));
    const reasons = Object.fromEntries(dead.map((r) => [r.key, r.headers[DLQ_HEADERS.reason]]));
    expect(reasons["down-1"]).toMatch(/gave up after 4 attempts: http 503/);
    expect(reasons["gone-1"]).toMatch(/permanent failure: http 404/);
  });
});

describe("bad records never stop the pipeline", () => {
  it("sends undecodable or invalid records to the DLQ and keeps firing timers", { timeout: 30_000 }, async () => {
    const producer = await stack.platform.producer();
    const transactions = stack.platform.topic("transactions");
    await producer.send(transactions, { key: "poison-1", value: Buffer.from("not protobuf"), headers: {} });
    await stack.send([stack.startRecord({ id: "poison-2", timeoutSeconds: 1, eventTimeMs: 0 })]);
    await stack.send([stack.startRecord({ id: "poison-3", timeoutSeconds: 1, eventTimeMs: Date.now() + 3_600_000 })]);
    const timeouts = stack.platform.topic("transactions.timeouts");
    await producer.send(timeouts, { key: "poison-4", value: Buffer.from([0, 0, 0, 0, 1, 0]), headers: {} });
    await stack.send([stack.startRecord({ id: "after-poison", timeoutSeconds: 1, eventTimeMs: Date.now() })]);
    await waitUntil(() => stack.receiver.forTransaction("after-poison").length === 1, {
      timeoutMs: 15_000,
      describe: () =>
        `callback after poison records\ntimer: ${stack.service("timer").output.join("")}\ndispatcher: ${stack.service("dispatcher").output.join("")}`,
    });
    const dead = async () =>
      (await readTopic(stack.platform.kafka, stack.platform.topic("transactions.dlq"))).map(
        (r) => `${r.key} ${r.headers[DLQ_HEADERS.processor]} ${r.headers[DLQ_HEADERS.reason]}`,
      );
    await waitUntil(async () => (await dead()).length === 6, {
      timeoutMs: 15_000,
      describe: async () => (await dead()).join("\n"),
    });
    const lines = (await dead()).sort();
    expect(lines.filter((l) => l.includes("transaction-timer"))).toHaveLength(3);
    expect(lines.filter((l) => l.includes("transactions-sink"))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith("poison-2"))[0]).toMatch(/event_time_ms must be > 0/);
    expect(lines.filter((l) => l.startsWith("poison-3"))[0]).toMatch(
      /event_time_ms is \d+ ms ahead of the record timestamp/,
    );
    const deadTimeouts = await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts.dlq"));
    expect(deadTimeouts.map((r) => r.key)).toContain("poison-4");
    expect(create(TransactionTimedOutSchema).idempotencyKey).toBe("");
  });
});
