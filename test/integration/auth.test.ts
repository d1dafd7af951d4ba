import { Writable } from "node:stream";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keysCommand } from "../../cli/keys-command.js";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { uniqueId } from "../helpers/stack-env.js";
import { ENTRY, TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// One gateway with AUTH_MODE=required (and the timer, so Stop ownership can be checked against
// pending state), one with AUTH_MODE=off, on their own topics, namespace and database.
const CACHE_TTL_MS = 1_000;
const stack = new TransactionsStack("auth");
let off: ServiceProcess;
beforeAll(async () => {
  await stack.setUp({ AUTH_MODE: "required", AUTH_KEY_CACHE_TTL_MS: String(CACHE_TTL_MS) });
  await stack.start("gateway", "timer");
  off = await ServiceProcess.start(ENTRY.gateway, { ...stack.env, AUTH_MODE: "off" });
}, 120_000);
afterAll(async () => {
  await off?.stop();
  await stack.close();
});

const url = () => `http://127.0.0.1:${stack.services.gateway?.port}`;

/** `tributary keys …` against the test database; returns stdout. */
async function keys(...argv: string[]): Promise<string> {
  let out = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const code = await keysCommand(["keys", ...argv], { databaseUrl: stack.databaseUrl, stdout: sink, stderr: quiet });
  expect(code).toBe(0);
  return out;
}

async function createKey(client: string, scopes: string, ...limits: string[]): Promise<string> {
  return (await keys("create", "--client", client, "--scopes", scopes, ...limits)).trim();
}

async function connectJson(
  base: string,
  path: string,
  body: object,
  key?: string,
): Promise<{ status: number; headers: Headers; body: { code?: string; message?: string; [k: string]: unknown } }> {
  const response = await fetch(`${base}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as never };
}

async function postEvent(base: string, key?: string) {
  const response = await fetch(`${base}/event`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ id: 1, description: "auth test" }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { error?: { code: string; field?: string } },
  };
}

function pingClient(transport: Transport) {
  return createClient(PingService, transport);
}

async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded");
}

const grpc = () => createGrpcTransport({ baseUrl: url() });
const grpcWeb = () => createGrpcWebTransport({ baseUrl: url(), httpVersion: "1.1" });
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

describe("AUTH_MODE=required", () => {
  it("no key → unauthenticated on Connect JSON, gRPC, gRPC-Web and POST /event", async () => {
    const connect = await connectJson(url(), "ping.v1.PingService/PingCount", {});
    expect(connect.status).toBe(401);
    expect(connect.body.code).toBe("unauthenticated");
    expect(connect.body.message).toMatch(/API key is required/);
    expect((await rpcError(pingClient(grpc()).pingCount({}))).code).toBe(Code.Unauthenticated);
    expect((await rpcError(pingClient(grpcWeb()).ping({}))).code).toBe(Code.Unauthenticated);
    const plain = await postEvent(url());
    expect(plain.status).toBe(401);
    expect(plain.body.error).toMatchObject({ code: "unauthenticated", field: "authorization" });
  });

  it("a malformed or forged key → unauthenticated", async () => {
    const key = await createKey(uniqueId("forge"), "ping:read");
    const forged = `${key.slice(0, -43)}${"A".repeat(43)}`;
    for (const k of ["trb_nope", forged]) {
      const answer = await connectJson(url(), "ping.v1.PingService/PingCount", {}, k);
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe("unauthenticated");
    }
    expect((await rpcError(pingClient(grpc()).pingCount({}, bearer(forged)))).code).toBe(Code.Unauthenticated);
  });

  it("the right scope passes on every door; a missing scope → permission_denied", async () => {
    const reader = await createKey(uniqueId("scope"), "ping:read");
    const ok = await connectJson(url(), "ping.v1.PingService/PingCount", {}, reader);
    expect(ok.status).toBe(200);
    await pingClient(grpc()).pingCount({}, bearer(reader));
    await pingClient(grpcWeb()).pingCount({}, bearer(reader));
    const denied = await connectJson(url(), "ping.v1.PingService/Ping", {}, reader);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe("permission_denied");
    expect(denied.body.message).toMatch(/lacks scope ping:write/);
    expect((await rpcError(pingClient(grpc()).ping({}, bearer(reader)))).code).toBe(Code.PermissionDenied);
    const plain = await postEvent(url(), reader);
    expect(plain.status).toBe(403);
    expect(plain.body.error?.code).toBe("permission_denied");
    const notifier = await createKey(uniqueId("notify"), "notify:write");
    expect((await postEvent(url(), notifier)).status).toBe(200);
  });

  it("a key acts only within its client id: Start, ListPending and Stop of another client → permission_denied", async () => {
    const a = uniqueId("clienta");
    const b = uniqueId("clientb");
    const keyA = await createKey(a, "txn:write,txn:read");
    const keyB = await createKey(b, "txn:write,txn:read");
    const start = {
      client_id: a,
      transaction_id: uniqueId("txn"),
      callback_target: `http://127.0.0.1:${stack.receiver.port}/cb`,
      timeout_seconds: 600,
    };
    const foreignStart = await connectJson(url(), "transactions.v1.TransactionService/Start", start, keyB);
    expect(foreignStart.status).toBe(403);
    expect(foreignStart.body.message).toMatch(/^client_id: .*belongs to client/);
    const foreignList = await connectJson(
      url(),
      "transactions.v1.TransactionService/ListPending",
      { client_id: a },
      keyB,
    );
    expect(foreignList.status).toBe(403);
    expect(foreignList.body.code).toBe("permission_denied");
    expect(foreignList.body.message).toMatch(/^client_id: /);

    expect((await connectJson(url(), "transactions.v1.TransactionService/Start", start, keyA)).status).toBe(200);
    const own = await connectJson(url(), "transactions.v1.TransactionService/ListPending", { client_id: a }, keyA);
    expect(own.status).toBe(200);
    expect(own.body.pending).toEqual([expect.objectContaining({ transactionId: start.transaction_id, clientId: a })]);
    expect(
      (await connectJson(url(), "transactions.v1.TransactionService/ListPending", { client_id: b }, keyB)).body,
    ).not.toHaveProperty("pending");

    const foreignStop = await connectJson(
      url(),
      "transactions.v1.TransactionService/Stop",
      { transaction_id: start.transaction_id },
      keyB,
    );
    expect(foreignStop.status).toBe(403);
    expect(foreignStop.body.message).toMatch(/^transaction_id: .*belongs to another client/);
    const stop = { transaction_id: start.transaction_id };
    expect((await connectJson(url(), "transactions.v1.TransactionService/Stop", stop, keyA)).status).toBe(200);
    await waitUntil(
      async () =>
        (await connectJson(url(), "transactions.v1.TransactionService/ListPending", { client_id: a }, keyA)).body
          .pending === undefined,
      { timeoutMs: 10_000, describe: () => "the own Stop was not applied" },
    );
  });

  it("a revoked key is refused within the cache TTL", async () => {
    const key = await createKey(uniqueId("revoke"), "ping:read");
    expect((await connectJson(url(), "ping.v1.PingService/PingCount", {}, key)).status).toBe(200);
    const keyId = key.slice(4, 16);
    expect(await keys("list")).toContain(keyId);
    expect(await keys("list")).not.toContain(key.slice(17));
    await keys("revoke", keyId);
    const revokedAt = Date.now();
    await waitUntil(async () => (await connectJson(url(), "ping.v1.PingService/PingCount", {}, key)).status === 401, {
      timeoutMs: CACHE_TTL_MS + 2_000,
      intervalMs: 100,
      describe: () => "the revoked key was still accepted",
    });
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(CACHE_TTL_MS + 500);
    const answer = await connectJson(url(), "ping.v1.PingService/PingCount", {}, key);
    expect(answer.body).toMatchObject({ code: "unauthenticated", message: expect.stringMatching(/revoked/) });
    expect((await rpcError(pingClient(grpc()).pingCount({}, bearer(key)))).code).toBe(Code.Unauthenticated);
  });

  it("the rate limit → resource_exhausted with retry info on every door", async () => {
    // 0.2/s: a token comes back every 5 s, so the test's own pace cannot refill the bucket.
    const key = await createKey(uniqueId("rate"), "ping:read,notify:write", "--rate-per-second", "0.2", "--burst", "3");
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await connectJson(url(), "ping.v1.PingService/PingCount", {}, key)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await connectJson(url(), "ping.v1.PingService/PingCount", {}, key);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("resource_exhausted");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(5);
    const retryMs = Number(limited.headers.get("retry-after-ms"));
    expect(retryMs).toBeGreaterThan(0);
    expect(retryMs).toBeLessThanOrEqual(5_000);

    const err = await rpcError(pingClient(grpc()).pingCount({}, bearer(key)));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(Number(err.metadata.get("retry-after-ms"))).toBeGreaterThan(0);
    const plain = await postEvent(url(), key);
    expect(plain.status).toBe(429);
    expect(plain.body.error?.code).toBe("resource_exhausted");
    expect(Number(plain.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // Another key of the same client has its own bucket.
    const other = await createKey(uniqueId("rate2"), "ping:read", "--rate-per-second", "0.2", "--burst", "1");
    expect((await connectJson(url(), "ping.v1.PingService/PingCount", {}, other)).status).toBe(200);
  });
});

describe("AUTH_MODE=off", () => {
  const offUrl = () => `http://127.0.0.1:${off.port}`;
  it("accepts calls without a key on Connect, gRPC and POST /event, and warns at start", async () => {
    expect((await connectJson(offUrl(), "ping.v1.PingService/PingCount", {})).status).toBe(200);
    await pingClient(createGrpcTransport({ baseUrl: offUrl() })).pingCount({});
    expect((await postEvent(offUrl())).status).toBe(200);
    const list = await connectJson(offUrl(), "transactions.v1.TransactionService/ListPending", {
      client_id: uniqueId("anyone"),
    });
    expect(list.status).toBe(200);
    expect(off.output.join("")).toMatch(/AUTH_MODE=off/);
  });
});
