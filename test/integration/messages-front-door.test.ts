import { readFileSync } from "node:fs";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessagesClient } from "../../cli/messages-client.js";
import { type CloudEvent, CloudEventSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { MessagesStack } from "../helpers/messages-stack.js";
import { runCli, runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";

const fixture = (name: string) => join(repoRoot, "test/fixtures/messages", name);
const SEED_IDS = (JSON.parse(readFileSync(fixture("get-batch.json"), "utf8")) as { ids: string[] }).ids;
const BUF = join(repoRoot, "node_modules/.bin/buf");
const PROTOCOLS = ["connect", "grpc", "grpcweb"] as const;
const NAMES = ["messages.v1.MessageService", "awakari.messages.Service"] as const;
const CLEANERS = ["messages.v1.MessageService", "awakari.messages.cleaner.Service"] as const;

const stack = new MessagesStack("msgdoor");
let client: MessagesClient;

/** `buf curl` with our schemas, as the seed's README calls grpcurl: payload file verbatim. */
async function bufCurl(protocol: string, path: string, payload: string): Promise<Record<string, unknown>> {
  const result = await runCommand(BUF, [
    "curl",
    "--protocol",
    protocol,
    ...(protocol === "grpc" ? ["--http2-prior-knowledge"] : []),
    "--schema",
    "schemas",
    "-d",
    payload,
    `${stack.url()}/${path}`,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function event(id: string, extra: MessageInitShape<typeof CloudEventSchema> = {}): CloudEvent {
  return create(CloudEventSchema, {
    id,
    source: "test/uri",
    specVersion: "1.0",
    type: "test.type",
    data: { case: "textData", value: `data of ${id}` },
    ...extra,
  });
}

async function endOffsetsSum(): Promise<number> {
  const ends = await stack.platform.kafka.partitionOffsets(stack.platform.topic("messages"));
  return ends.reduce((sum, e) => sum + e.high, 0);
}

beforeAll(async () => {
  await stack.setUp({ MESSAGES_MAX_BATCH_EVENTS: "1000", MESSAGES_MAX_EVENT_BYTES: "4096" });
  await stack.start("sink", "gateway");
  client = stack.client();
}, 120_000);

afterAll(() => stack.close(), 60_000);

describe("the seed's payloads through buf curl", () => {
  for (const protocol of PROTOCOLS) {
    for (const name of NAMES) {
      it(`${name} over ${protocol}: put, get, delete, get`, async () => {
        const put = await bufCurl(protocol, `${name}/PutBatch`, `@${fixture("put-batch.json")}`);
        expect(put.ackCount).toBe(3);
        const got = await bufCurl(protocol, `${name}/GetBatch`, `@${fixture("get-batch.json")}`);
        const msgs = got.msgs as { id: string; textData: string; attributes: Record<string, unknown> }[];
        expect(msgs.map((m) => m.id)).toEqual(SEED_IDS);
        expect(msgs[1]?.textData).toBe("Try not. Do or do not. There is no try.");
        expect(msgs[0]?.attributes).toEqual({
          subject: { ceString: "Obi-Wan Kenobi" },
          time: { ceTimestamp: "1985-04-12T23:20:50.520Z" },
        });
        const deleted = await bufCurl(protocol, `${name}/DeleteBatch`, `@${fixture("delete-batch.json")}`);
        expect(deleted.count).toBe(3);
        const after = await bufCurl(protocol, `${name}/GetBatch`, `@${fixture("get-batch.json")}`);
        expect(after.msgs ?? []).toEqual([]);
      }, 60_000);
    }
    for (const name of CLEANERS) {
      it(`${name}/Clean over ${protocol} removes the seed's 1985 events (older than 168h)`, async () => {
        await bufCurl(protocol, "awakari.messages.Service/PutBatch", `@${fixture("put-batch.json")}`);
        const fresh = await client.putBatch({ msgs: [event(`fresh-${protocol}-${name}`)] });
        const cleaned = await bufCurl(protocol, `${name}/Clean`, "{}");
        expect(cleaned.count).toBe(3);
        const got = await client.getBatch({ ids: [...SEED_IDS, `fresh-${protocol}-${name}`] });
        expect(got.msgs.map((m) => m.id)).toEqual([`fresh-${protocol}-${name}`]);
        expect(fresh.ackCount).toBe(1);
      }, 60_000);
    }
  }
});

describe("GetBatch", () => {
  it("returns stored events in request order; unknown ids are absent", async () => {
    await client.putBatch({ msgs: [event("order-a"), event("order-b"), event("order-c")] });
    const got = await client.getBatch({ ids: ["order-c", "unknown-1", "order-a", "order-c", "order-b"] });
    expect(got.msgs.map((m) => m.id)).toEqual(["order-c", "order-a", "order-b"]);
  });

  it("re-put of an id replaces the stored event", async () => {
    await client.putBatch({ msgs: [event("reput", { type: "first" })] });
    await client.putBatch({ msgs: [event("reput", { type: "second" })] });
    expect((await client.getBatch({ ids: ["reput"] })).msgs[0]?.type).toBe("second");
  });

  it("1000 events in one batch work", async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `big-${i}`);
    const put = await client.putBatch({ msgs: ids.map((id) => event(id)) });
    expect(put.ackCount).toBe(1000);
    const got = await client.getBatch({ ids, consistencyToken: put.consistencyToken });
    expect(got.msgs.length).toBe(1000);
  });
});

describe("validation names the field and writes nothing", () => {
  const cases: { name: string; msgs: () => CloudEvent[]; field: string }[] = [
    { name: "missing id", msgs: () => [event("")], field: "msgs[0].id" },
    { name: "missing source", msgs: () => [event("v1", { source: "" })], field: "msgs[0].source" },
    { name: "missing spec_version", msgs: () => [event("v2", { specVersion: "" })], field: "msgs[0].spec_version" },
    { name: "missing type", msgs: () => [event("ok-1"), event("v3", { type: "" })], field: "msgs[1].type" },
    { name: "spec_version 0.3", msgs: () => [event("v4", { specVersion: "0.3" })], field: "msgs[0].spec_version" },
    {
      name: "batch over the limit (1001 > 1000)",
      msgs: () => Array.from({ length: 1001 }, (_, i) => event(`over-${i}`)),
      field: "msgs",
    },
    {
      name: "event over the size limit",
      msgs: () => [event("v5", { data: { case: "textData", value: "x".repeat(5000) } })],
      field: "msgs[0]",
    },
    {
      name: "duplicate ids in one batch",
      msgs: () => [event("dup"), event("ok-2"), event("dup")],
      field: "msgs[2].id",
    },
    {
      name: "timestamp out of range",
      msgs: () => [
        event("v6", {
          attributes: {
            time: { attr: { case: "ceTimestamp", value: create(TimestampSchema, { seconds: 253_402_300_800n }) } },
          },
        }),
      ],
      field: "msgs[0].attributes.time.ce_timestamp",
    },
    {
      name: "timestamp nanos out of range",
      msgs: () => [
        event("v7", {
          attributes: {
            t2: { attr: { case: "ceTimestamp", value: create(TimestampSchema, { seconds: 1n, nanos: -1 }) } },
          },
        }),
      ],
      field: "msgs[0].attributes.t2.ce_timestamp",
    },
    {
      name: "time attribute that is not a timestamp",
      msgs: () => [event("v8", { attributes: { time: { attr: { case: "ceString", value: "yesterday" } } } })],
      field: "msgs[0].attributes.time",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const before = await endOffsetsSum();
      const err = await client.putBatch({ msgs: c.msgs() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage.startsWith(`${c.field}: `), (err as ConnectError).rawMessage).toBe(true);
      expect(await endOffsetsSum()).toBe(before);
    });
  }

  it("ids and tokens", async () => {
    const bad = async (p: Promise<unknown>) =>
      (
        (await p.then(
          () => undefined,
          (e: unknown) => e,
        )) as ConnectError
      ).rawMessage;
    expect(await bad(client.getBatch({ ids: ["a", ""] }))).toMatch(/^ids\[1\]: is required/);
    expect(await bad(client.deleteBatch({ ids: [""] }))).toMatch(/^ids\[0\]: is required/);
    expect(await bad(client.getBatch({ ids: ["a"], consistencyToken: "zz" }))).toMatch(/^consistency_token: /);
  });
});

describe("CLI", () => {
  it("messages put|get|delete|clean, JSON in and out", async () => {
    const env = { TRIBUTARY_URL: stack.url() };
    const put = await runCli(["messages", "put"], env, readFileSync(fixture("put-batch.json"), "utf8"));
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ ackCount: 3 });
    const get = await runCli(["messages", "get", "--ids", SEED_IDS.join(",")], env);
    expect(get.code, get.stderr).toBe(0);
    expect((JSON.parse(get.stdout) as { msgs: { id: string }[] }).msgs.map((m) => m.id)).toEqual(SEED_IDS);
    const del = await runCli(["messages", "delete"], env, readFileSync(fixture("delete-batch.json"), "utf8"));
    expect(JSON.parse(del.stdout)).toMatchObject({ count: 3 });
    const clean = await runCli(["messages", "clean"], env);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual(expect.any(Object));
  }, 60_000);
});
