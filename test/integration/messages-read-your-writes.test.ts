import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessagesClient } from "../../cli/messages-client.js";
import { messagesClient } from "../../cli/messages-client.js";
import { CloudEventSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { MessagesStack } from "../helpers/messages-stack.js";
import { ServiceProcess } from "../helpers/service-process.js";

const stack = new MessagesStack("msgryw");
let second: ServiceProcess;

const event = (id: string) =>
  create(CloudEventSchema, {
    id,
    source: "ryw",
    specVersion: "1.0",
    type: "ryw",
    data: { case: "textData", value: id },
  });

beforeAll(async () => {
  await stack.setUp(process.env.MESSAGES_TEST_DEBUG === "1" ? { LOG_LEVEL: "info" } : {});
  await stack.start("sink", "gateway");
  // A second gateway: it never saw the writes, so only the consistency token can make it wait.
  second = await ServiceProcess.start("dist/producers/gateway/main.js", stack.env);
  await stack.warmUp();
}, 120_000);

afterAll(async () => {
  if (process.env.MESSAGES_TEST_DEBUG === "1") {
    for (let i = 0; i < 5; i++) {
      console.log(
        JSON.stringify((await stack.pool().query("SELECT partition, next_offset FROM tributary_offsets")).rows),
      );
      const metrics = await (await fetch(`http://127.0.0.1:${stack.service("sink").port}/metrics`)).text();
      console.log(
        metrics
          .split("\n")
          .filter((l) => /lag|records|commit/i.test(l) && !l.startsWith("#"))
          .join("\n"),
      );
      await new Promise((r) => setTimeout(r, 2000));
    }
    console.log(stack.service("sink").output.join("").slice(-5000));
  }
  await second?.stop();
  await stack.close();
}, 60_000);

/** `pairs` put-then-get pairs from `clients` concurrent clients; returns the misses. */
async function run(
  clients: number,
  pairs: number,
  label: string,
  pair: (writer: MessagesClient, reader: MessagesClient, id: string) => Promise<boolean>,
  readerUrl: string,
): Promise<string[]> {
  const misses: string[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const writer = stack.client();
      const reader = messagesClient(readerUrl);
      for (let i = c; i < pairs; i += clients) {
        const id = `${label}-${i}`;
        const ok = await pair(writer, reader, id).catch(async (err: unknown) => {
          const stored = await stack.pool().query("SELECT topic, partition, next_offset FROM tributary_offsets");
          throw new Error(`${String(err)}; stored now: ${JSON.stringify(stored.rows)}`);
        });
        if (!ok) misses.push(id);
      }
    }),
  );
  return misses;
}

describe("read-your-writes", () => {
  it("1000 put-then-get pairs from 20 concurrent clients on one gateway, no token: 0 misses", async () => {
    const misses = await run(
      20,
      1000,
      "same",
      async (writer, reader, id) => {
        await writer.putBatch({ msgs: [event(id)] });
        const got = await reader.getBatch({ ids: [id] });
        return got.msgs.length === 1 && got.msgs[0]?.id === id;
      },
      stack.url(),
    );
    expect(misses).toEqual([]);
  }, 300_000);

  it("1000 put-then-get pairs, get on another gateway with the consistency token: 0 misses", async () => {
    const misses = await run(
      20,
      1000,
      "token",
      async (writer, reader, id) => {
        const put = await writer.putBatch({ msgs: [event(id)] });
        const got = await reader.getBatch({ ids: [id], consistencyToken: put.consistencyToken });
        return got.msgs.length === 1;
      },
      `http://127.0.0.1:${second.port}`,
    );
    expect(misses).toEqual([]);
  }, 300_000);

  it("delete-then-get sees the delete (200 pairs, token across gateways)", async () => {
    const misses = await run(
      10,
      200,
      "token",
      async (writer, reader, id) => {
        const deleted = await writer.deleteBatch({ ids: [id] });
        const got = await reader.getBatch({ ids: [id], consistencyToken: deleted.consistencyToken });
        return deleted.count === 1 && got.msgs.length === 0;
      },
      `http://127.0.0.1:${second.port}`,
    );
    expect(misses).toEqual([]);
  }, 300_000);
});
