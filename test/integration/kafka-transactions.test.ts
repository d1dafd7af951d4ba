import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import type { ConsumedRecord } from "../../runtime/kafka/kafka-adapter.js";
import { uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

const platform = new TestPlatform(`${uniqueId("tx")}.`);
beforeAll(() => platform.createTopics());
afterAll(() => platform.close());

describe("Kafka transactions on the local broker", () => {
  it("shows committed records to read_committed consumers and hides aborted ones", async () => {
    const topic = platform.topic("pings");
    const producer = platform.kafka.createProducer({ transactionalId: uniqueId("txid") });
    await producer.connect();
    const record = (id: string) =>
      platform.codec.encode(topic, PingRecordedSchema, create(PingRecordedSchema, { id, timestampMs: 1n }), id);
    const committed = [randomUUID(), randomUUID()];
    await producer.transaction(async (tx) => {
      await tx.send(topic, committed.map(record));
    });
    const aborted = randomUUID();
    await expect(
      producer.transaction(async (tx) => {
        await tx.send(topic, [record(aborted)]);
        throw new Error("abort on purpose");
      }),
    ).rejects.toThrow(/abort on purpose/);
    const after = randomUUID();
    await producer.transaction(async (tx) => {
      await tx.send(topic, [record(after)]);
    });
    await producer.disconnect();

    const seen: ConsumedRecord[] = [];
    const controller = new AbortController();
    const consumer = platform.kafka.createConsumer({ groupId: uniqueId("txread") });
    const running = consumer.run({
      topics: [topic],
      fromBeginning: true,
      signal: controller.signal,
      onBatch: async (batch) => {
        seen.push(...batch.records);
        return "consumed";
      },
    });
    try {
      await waitUntil(() => seen.some((r) => r.key === after), {
        timeoutMs: 30_000,
        describe: () => `seen ${seen.map((r) => r.key).join(",")}`,
      });
    } finally {
      controller.abort();
      await running;
      await consumer.disconnect();
    }
    expect(seen.map((r) => r.key).sort()).toEqual([...committed, after].sort());
  });
});
