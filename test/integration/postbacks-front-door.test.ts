import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostbackService } from "../../gen/postbacks/v1/postback_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { formatIp, mappedIpv4, parseIpLiteral } from "../../runtime/outbound/ip-address.js";
import { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import { SSRF_LITERAL_CORPUS } from "../../runtime/outbound/ssrf-corpus.js";
import { type PostbackAnswer, PostbackReceiver } from "../helpers/postback-receiver.js";
import { PostbacksStack } from "../helpers/postbacks-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

// Two secrets: a rotation in progress. Receivers holding either one must verify.
const OLD_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const NEW_SECRET = `whsec_${randomBytes(32).toString("base64")}`;

const stack = new PostbacksStack("pbdoor");
let receiver: PostbackReceiver;
/** Per path: how the receiver answers (default 200). */
const plans = new Map<string, (nth: number) => PostbackAnswer>();

beforeAll(async () => {
  receiver = await PostbackReceiver.start((p, nth) => plans.get(p.path.split("?")[0] ?? "")?.(nth) ?? 200);
  await stack.setUp({ POSTBACK_DELIVERY_SIGNING_SECRETS: `${NEW_SECRET},${OLD_SECRET}` });
  await stack.start("delivery", "gateway");
}, 180_000);
afterAll(async () => {
  await stack.close();
  await receiver.close();
});

type Submitted = { requestId: string; deliveryIds: string[] };
async function submitOk(body: unknown): Promise<Submitted> {
  const { status, json } = await stack.submit(body);
  expect(status, JSON.stringify(json)).toBe(200);
  return json as unknown as Submitted;
}
const arrived = (id: string) =>
  waitUntil(() => receiver.accepted.has(id), { timeoutMs: 30_000, describe: () => `${id} not delivered` });

/** Standard Webhooks verification, written from the spec (not from our signer). */
function verifyStandardWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string) {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  };
  const id = one("webhook-id");
  const timestamp = one("webhook-timestamp");
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return one("webhook-signature")
    .split(" ")
    .some((entry) => {
      const [version, signature] = entry.split(",");
      if (version !== "v1" || signature === undefined) return false;
      const given = Buffer.from(signature, "base64");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe("POST /postback and PostbackService/Submit", () => {
  it("renders the template per data object and delivers each, GET and POST", async () => {
    const get = await submitOk({
      endpoint: { method: "GET", url: `${receiver.url("/track")}?c={campaign}&u={user}&n={n}&x={missing}` },
      data: [
        { campaign: "c1", user: "u 1", n: 7 },
        { campaign: "Zürich", user: "{campaign}", n: true },
      ],
    });
    expect(get.deliveryIds).toHaveLength(2);
    const post = await submitOk({
      endpoint: { method: "post", url: receiver.url("/hook/{id}") },
      data: [{ id: "a/b", nested: { deep: [1, 2] } }],
    });
    for (const id of [...get.deliveryIds, ...post.deliveryIds]) await arrived(id);
    expect(receiver.accepted.get(get.deliveryIds[0] as string)?.path).toBe("/track?c=c1&u=u%201&n=7&x=");
    expect(receiver.accepted.get(get.deliveryIds[1] as string)?.path).toBe(
      "/track?c=Z%C3%BCrich&u=%7Bcampaign%7D&n=true&x=",
    );
    const posted = receiver.accepted.get(post.deliveryIds[0] as string);
    expect(posted?.method).toBe("POST");
    expect(posted?.path).toBe("/hook/a%2Fb");
    expect(JSON.parse(posted?.body ?? "")).toEqual({ id: "a/b", nested: { deep: [1, 2] } });
    expect(posted?.headers["content-type"]).toBe("application/json");
  });

  it("signs per Standard Webhooks with both secrets of a rotation (verified by an independent implementation)", async () => {
    const { deliveryIds } = await submitOk({
      endpoint: { method: "POST", url: receiver.url("/signed") },
      data: [{ a: 1 }],
    });
    const id = deliveryIds[0] as string;
    await arrived(id);
    const p = receiver.accepted.get(id);
    if (p === undefined) throw new Error("not received");
    expect(p.headers["webhook-id"]).toBe(id);
    expect(String(p.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyStandardWebhook(NEW_SECRET, p.headers, p.body)).toBe(true);
    expect(verifyStandardWebhook(OLD_SECRET, p.headers, p.body)).toBe(true);
    expect(verifyStandardWebhook(`whsec_${randomBytes(32).toString("base64")}`, p.headers, p.body)).toBe(false);
    expect(verifyStandardWebhook(NEW_SECRET, p.headers, `${p.body} `)).toBe(false);
  });

  it("serves Connect, gRPC and gRPC-Web with google.protobuf.Struct data objects", async () => {
    const baseUrl = stack.gatewayUrl();
    const transports = [
      createConnectTransport({ baseUrl, httpVersion: "1.1" }),
      createGrpcTransport({ baseUrl }),
      createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    ];
    for (const [i, transport] of transports.entries()) {
      const client = createClient(PostbackService, transport);
      const answer = await client.submit({
        endpoint: { method: "GET", url: `${receiver.url("/rpc")}?t={t}` },
        data: [{ t: `transport${i}` }],
      });
      expect(answer.deliveryIds).toHaveLength(1);
      await arrived(answer.deliveryIds[0] as string);
      expect(receiver.accepted.get(answer.deliveryIds[0] as string)?.path).toBe(`/rpc?t=transport${i}`);
    }
    const client = createClient(PostbackService, transports[0] as never);
    const err = await client
      .submit({ endpoint: { method: "GET", url: "http://169.254.169.254/latest/meta-data/" }, data: [{}] })
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("endpoint.url");
  });

  it("answers 10,000 data objects in one request with 10,000 delivery ids, after the acks", async () => {
    const before = await stack.endOffsetsSum("postbacks");
    const data = Array.from({ length: 10_000 }, (_, i) => ({ i }));
    const { deliveryIds, requestId } = await submitOk({
      endpoint: { method: "GET", url: `${receiver.url("/bulk")}?i={i}` },
      data,
    });
    expect(deliveryIds).toHaveLength(10_000);
    expect(new Set(deliveryIds).size).toBe(10_000);
    expect(typeof requestId).toBe("string");
    // Answered after the acks: the records are in the topic when the answer arrives.
    expect((await stack.endOffsetsSum("postbacks")) - before).toBe(10_000);
    await waitUntil(() => deliveryIds.every((id) => receiver.accepted.has(id)), {
      timeoutMs: 120_000,
      describe: () => `${deliveryIds.filter((id) => receiver.accepted.has(id)).length} of 10000 delivered`,
    });
  });
});

describe("limits and bad input: invalid_argument naming the field, nothing written", () => {
  const ok = () => ({ endpoint: { method: "GET", url: receiver.url("/x?a={a}") }, data: [{ a: 1 }] });
  it.each([
    ["10,001 data objects", () => ({ ...ok(), data: Array.from({ length: 10_001 }, () => ({})) }), "data", 400],
    ["no data objects", () => ({ ...ok(), data: [] }), "data", 400],
    ["a data object that is not an object", () => ({ ...ok(), data: [{}, "x"] }), "data[1]", 400],
    [
      "a URL template too long",
      () => ({ ...ok(), endpoint: { method: "GET", url: `${receiver.url("/")}${"a".repeat(5_000)}` } }),
      "endpoint.url",
      400,
    ],
    ["a rendered URL too long", () => ({ ...ok(), data: [{ a: 1 }, { a: "x".repeat(5_000) }] }), "data[1]", 400],
    ["a data object too large", () => ({ ...ok(), data: [{ a: 1, big: "x".repeat(70_000) }] }), "data[0]", 400],
    [
      "ftp scheme",
      () => ({ ...ok(), endpoint: { method: "GET", url: "ftp://partner.example/x" } }),
      "endpoint.url",
      400,
    ],
    [
      "an unknown method",
      () => ({ ...ok(), endpoint: { method: "TRACE", url: receiver.url() } }),
      "endpoint.method",
      400,
    ],
    ["{}", () => ({ ...ok(), endpoint: { method: "GET", url: receiver.url("/x?a={}") } }), "endpoint.url", 400],
    [
      "an unclosed {",
      () => ({ ...ok(), endpoint: { method: "GET", url: receiver.url("/x?a={a") } }),
      "endpoint.url",
      400,
    ],
    ["an object filling a placeholder", () => ({ ...ok(), data: [{ a: { b: 1 } }] }), "data[0].a", 400],
    ["an unknown field", () => ({ ...ok(), extra: 1 }), "extra", 400],
    [
      "a host placeholder rendering a blocked address",
      () => ({ endpoint: { method: "GET", url: "http://{h}/x" }, data: [{ h: "example.com" }, { h: "10.0.0.1" }] }),
      "data[1]",
      400,
    ],
    [
      "a body over the request limit",
      () => ({ ...ok(), data: Array.from({ length: 300 }, () => ({ pad: "x".repeat(60_000) })) }),
      "body",
      413,
    ],
  ])("%s", async (_case, body, field, status) => {
    const before = await stack.endOffsetsSum("postbacks");
    const answer = await stack.submit(body());
    expect(answer.status, JSON.stringify(answer.json)).toBe(status);
    expect(answer.json).toMatchObject({ error: { code: "invalid_argument", field } });
    expect(await stack.endOffsetsSum("postbacks")).toBe(before);
  });
});

describe("outbound safety at the edge", () => {
  // The stack opens exactly 127.0.0.1 (its receivers): every other entry of the corpus stays blocked.
  const stackPolicy = new OutboundPolicy({ cidrs: ["127.0.0.1/32"], hosts: [] });
  const opened = SSRF_LITERAL_CORPUS.filter((url) => stackPolicy.checkHost(new URL(url).hostname).verdict.allowed);
  it("the allow-list opens only the spellings of 127.0.0.1", () => {
    expect(opened.length).toBeGreaterThan(5);
    for (const url of opened) {
      const ip = parseIpLiteral(new URL(url).hostname);
      expect(ip && formatIp(mappedIpv4(ip) ?? ip), url).toBe("127.0.0.1");
    }
  });

  it.each(SSRF_LITERAL_CORPUS.filter((url) => !opened.includes(url)))(
    "POST /postback to %s is refused, nothing written",
    async (url) => {
      const before = await stack.endOffsetsSum("postbacks");
      const answer = await stack.submit({ endpoint: { method: "GET", url }, data: [{}] });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: { code: "invalid_argument", field: "endpoint.url" } });
      expect(await stack.endOffsetsSum("postbacks")).toBe(before);
    },
  );

  it.each([
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/x",
    "http://[::1]:9/x",
    "http://2130706434/x",
    "http://localhost:9/x",
    "connect+http://0x7f.2:9",
  ])("TransactionService/Start with callback %s is invalid_argument", async (callbackTarget) => {
    const client = createClient(
      TransactionService,
      createConnectTransport({ baseUrl: stack.gatewayUrl(), httpVersion: "1.1" }),
    );
    const err = await client
      .start({ clientId: "c", transactionId: `t-${Math.random()}`, callbackTarget, timeoutSeconds: 5 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("callback_target");
  });
});

describe("delivery: retries, dead letters, log, CLI", () => {
  it("retries 503 then 429 with Retry-After, then delivers; every attempt logged", async () => {
    plans.set("/flaky", (nth) =>
      nth === 1 ? 503 : nth === 2 ? { status: 429, headers: { "retry-after": "1" } } : 200,
    );
    const { deliveryIds } = await submitOk({ endpoint: { method: "GET", url: receiver.url("/flaky") }, data: [{}] });
    const id = deliveryIds[0] as string;
    await arrived(id);
    await waitUntil(async () => (await stack.attempts()).filter((a) => a.delivery_id === id).length === 3, {
      timeoutMs: 20_000,
      describe: async () => JSON.stringify((await stack.attempts()).filter((a) => a.delivery_id === id)),
    });
    const log = (await stack.attempts()).filter((a) => a.delivery_id === id);
    expect(log.map((a) => [a.attempt, a.status, a.result])).toEqual([
      [1, "http 503", "retry"],
      [2, "http 429", "retry"],
      [3, "http 200", "delivered"],
    ]);
    expect(log[2]?.next_ms).toBeNull();
    // Retry-After: 1 is a lower bound of the next delay (the schedule alone says ≤ 400 ms).
    const calls = receiver.forId(id);
    expect((calls[2]?.atMs ?? 0) - (calls[1]?.atMs ?? 0)).toBeGreaterThanOrEqual(950);
    expect(log[2]?.response_excerpt).toBe("ok");
  });

  it("a 404 goes to postbacks.dlq at once with the reason; redrive gives it another try", async () => {
    let refuse = true;
    plans.set("/gone", () => (refuse ? 404 : 200));
    const { deliveryIds, requestId } = await submitOk({
      endpoint: { method: "GET", url: receiver.url("/gone") },
      data: [{}],
    });
    const id = deliveryIds[0] as string;
    await waitUntil(
      async () =>
        (await stack.rows(`SELECT 1 FROM postback_deliveries WHERE delivery_id = $1 AND status = 'failed'`, [id]))
          .length === 1,
      {
        timeoutMs: 20_000,
        describe: () => "not failed",
      },
    );
    expect(receiver.forId(id)).toHaveLength(1);
    const dead = (await readTopic(stack.platform.kafka, stack.platform.topic("postbacks.dlq"))).filter(
      (r) => r.key === id,
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]?.headers["tributary.dlq.reason"]).toMatch(/permanent failure: http 404/);

    const cli = join(repoRoot, "dist/cli/main.js");
    const env = { TOPIC_PREFIX: stack.prefix, DATABASE_URL: stack.databaseUrl };
    const status = await runCommand(process.execPath, [cli, "postback", "status", requestId], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("failed: 1");
    expect(status.stdout).toMatch(/#1 .* http 404 {2}gave_up/);

    refuse = false;
    const redrive = await runCommand(process.execPath, [cli, "dlq", "redrive", "postbacks", "--limit", "1000"], {
      env,
    });
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(redrive.stderr).toMatch(/redriven \d+\/\d+/);
    await waitUntil(() => receiver.accepted.has(id), {
      timeoutMs: 30_000,
      describe: async () =>
        `redrive: ${redrive.stdout}; rows: ${JSON.stringify(await stack.rows("SELECT * FROM postback_deliveries WHERE delivery_id LIKE $1", [`${id}%`]))}; calls: ${receiver.forId(id).length}`,
    });
    expect(receiver.accepted.get(id)?.headers["webhook-id"]).toBe(id);
  });
});
