import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudEventSchema, type MessageCommand, MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { MessagesStack } from "../helpers/messages-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { waitUntil } from "../helpers/wait-until.js";

const stack = new MessagesStack("msgret");

const event = (id: string, timeMs?: number) =>
  create(CloudEventSchema, {
    id,
    source: "retention",
    specVersion: "1.0",
    type: "retention",
    attributes: timeMs === undefined ? {} : { time: { attr: { case: "ceTimestamp", value: timestampFromMs(timeMs) } } },
  });

beforeAll(async () => {
  await stack.setUp({ MESSAGES_RETENTION: "1h", MESSAGES_CLEAN_INTERVAL_MS: "1000" });
  await stack.start("sink", "gateway");
}, 120_000);

afterAll(() => stack.close(), 60_000);

describe("retention (MESSAGES_RETENTION=1h, periodic clean every second)", () => {
  it("the sink's periodic Clean command removes events older than the retention, by `time` else put time", async () => {
    const client = stack.client();
    const now = Date.now();
    await client.putBatch({
      msgs: [event("two-hours-old", now - 7_200_000), event("ten-minutes-old", now - 600_000), event("no-time")],
    });
    // Wait for the exact set: the sink may store the three events over more than one commit (it
    // flushes when idle), so "two rows" alone can be seen before the clean ran.
    const expected = JSON.stringify(["no-time", "ten-minutes-old"]);
    await waitUntil(async () => JSON.stringify(await stack.storedIds()) === expected, {
      timeoutMs: 30_000,
      describe: async () => JSON.stringify(await stack.storedIds()),
    });
    expect(await stack.storedIds()).toEqual(["no-time", "ten-minutes-old"]);
    // The clean is a record on the topic, one per partition, with its cutoff.
    const topic = stack.platform.topic("messages");
    const records = await readTopic(stack.platform.kafka, topic);
    const commands = await Promise.all(records.map((r) => stack.platform.codec.decode(r, MessageCommandSchema)));
    const cleans = commands.filter((d) => (d.message as MessageCommand).command.case === "clean");
    const partitions = (await stack.platform.kafka.partitionOffsets(topic)).length;
    expect(cleans.length).toBeGreaterThanOrEqual(partitions);
    expect(new Set(cleans.map((d) => d.record.partition)).size).toBe(partitions);
  }, 60_000);
});
