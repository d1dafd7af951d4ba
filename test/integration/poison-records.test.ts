import { randomUUID } from "node:crypto";
import { create, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudEventSchema, MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { NotificationSchema } from "../../gen/notifications/v1/notification_pb.js";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { PostbackDeliverySchema } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import {
  TransactionEventSchema,
  TransactionStartedSchema,
  TransactionTimedOutSchema,
} from "../../gen/transactions/v1/transaction_event_pb.js";
import { type DataTopicName, topicSpec } from "../../runtime/catalog/catalog.js";
import type { OutgoingRecord } from "../../runtime/kafka/kafka-adapter.js";
import { DLQ_HEADERS } from "../../runtime/processor/dead-letter.js";
import { messageIndexesOf } from "../../runtime/serde/proto-source.js";
import { encodeWire } from "../../runtime/serde/wire-format.js";
import { serviceRegistry } from "../../services/registry.js";
import { entryPointOf, type ServiceEntry } from "../../services/service-entry.js";
import { createDatabase, dropDatabase } from "../helpers/databases.js";
import { PostbackReceiver } from "../helpers/postback-receiver.js";
import { readTopic } from "../helpers/read-topic.js";
import { freePort, ServiceProcess } from "../helpers/service-process.js";
import { uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

// 1,000 poison records per consumed topic, interleaved with good ones: every consumer of the
// service registry must dead-letter each poison record with its reason and still process every
// good record. POISON_RECORDS scales it down for a quick local run.
const POISON = Number(process.env.POISON_RECORDS ?? 1_000);
const GOOD = 200;
const POISON_KINDS = ["bad magic byte", "unknown schema id", "truncated protobuf", "wrong type"] as const;

const id = uniqueId("poison");
const platform = new TestPlatform(`${id}.`);
const consumers: ServiceEntry[] = serviceRegistry.filter((s) => s.role !== "producer" && s.kafka.reads.length > 0);
const topics = [...new Set(consumers.flatMap((s) => s.kafka.reads as DataTopicName[]))];
let receiver: PostbackReceiver;
let databaseUrl = "";
const services: ServiceProcess[] = [];

/** A good record of each consumed topic, addressed to the test's receiver where it calls out. */
function goodMessage(topic: DataTopicName, n: number, callbackUrl: string): { schema: DescMessage; message: Message } {
  const nowMs = BigInt(Date.now());
  const started = create(TransactionStartedSchema, {
    clientId: `${id}-client`,
    transactionId: `${id}-t${n}`,
    transactionType: "poison-test",
    callbackTarget: callbackUrl,
    payload: { case: "payloadJson", value: "{}" },
    timeoutSeconds: 3_600,
  });
  switch (topic) {
    case "pings":
      return {
        schema: PingRecordedSchema,
        message: create(PingRecordedSchema, { id: randomUUID(), timestampMs: nowMs, acceptedAtMs: nowMs }),
      };
    case "transactions":
      return {
        schema: TransactionEventSchema,
        message: create(TransactionEventSchema, { eventTimeMs: nowMs, event: { case: "started", value: started } }),
      };
    case "transactions.timeouts":
      return {
        schema: TransactionTimedOutSchema,
        message: create(TransactionTimedOutSchema, {
          idempotencyKey: `${started.transactionId}:${nowMs}`,
          started,
          startedAtMs: nowMs,
          deadlineMs: nowMs,
          firedAtMs: nowMs,
        }),
      };
    case "postbacks":
      return {
        schema: PostbackDeliverySchema,
        message: create(PostbackDeliverySchema, {
          deliveryId: randomUUID(),
          requestId: randomUUID(),
          method: "POST",
          url: callbackUrl,
          bodyJson: "{}",
          requestedAtMs: nowMs,
          index: 0,
        }),
      };
    case "notifications":
      return {
        schema: NotificationSchema,
        message: create(NotificationSchema, {
          id: BigInt(n + 1),
          description: `good ${n}`,
          timestamp: new Date().toISOString(),
        }),
      };
    case "messages":
      return {
        schema: MessageCommandSchema,
        message: create(MessageCommandSchema, {
          commandTimeMs: nowMs,
          command: {
            case: "put",
            value: create(CloudEventSchema, {
              id: `${id}-m${n}`,
              source: "poison-test",
              specVersion: "1.0",
              type: "t",
            }),
          },
        }),
      };
  }
}

/** The four kinds in turn: each fails decoding, none is a retryable error. */
function poisonValue(topic: DataTopicName, n: number): Buffer {
  const physical = platform.topic(topic);
  const good = goodMessage(topic, n, "http://127.0.0.1:9/");
  const valid = platform.codec.encode(physical, good.schema, good.message, "k").value;
  switch (POISON_KINDS[n % POISON_KINDS.length]) {
    case "bad magic byte":
      return Buffer.concat([Buffer.from([1]), valid.subarray(1)]);
    case "unknown schema id":
      return encodeWire({
        schemaId: 0x7fff_fff0 - n,
        messageIndexes: [0],
        payload: toBinary(good.schema, good.message),
      });
    case "truncated protobuf":
      // A length-delimited field 1 announcing 100 bytes, with 3 present.
      return encodeWire({
        schemaId: platform.codec.schemaIdOf(physical),
        messageIndexes: messageIndexesOf(good.schema),
        payload: Uint8Array.from([0x0a, 100, 0x61, 0x62, 0x63]),
      });
    default: {
      // A valid record of another topic's type, under that topic's schema id.
      const other = topic === "pings" ? "notifications" : "pings";
      const wrong = goodMessage(other, n, "http://127.0.0.1:9/");
      return platform.codec.encode(platform.topic(other), wrong.schema, wrong.message, "k").value;
    }
  }
}

const groupVar = (s: ServiceEntry) => `${s.name.toUpperCase().replaceAll("-", "_")}_GROUP_ID`;

async function metric(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

beforeAll(async () => {
  await platform.createTopics();
  databaseUrl = await createDatabase(id);
  receiver = await PostbackReceiver.start(() => 200);
}, 120_000);
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await receiver?.close();
  await platform.close();
  await dropDatabase(id);
});

describe(`${POISON} poison records per consumed topic`, () => {
  it("land in the DLQ with reasons; every good record is processed", { timeout: 480_000 }, async () => {
    const producer = await platform.producer();
    const startedAtMs = Date.now();
    for (const topic of topics) {
      const physical = platform.topic(topic);
      const records: OutgoingRecord[] = [];
      // Interleaved: about one good record per five poison ones, spread over every partition.
      for (let i = 0, g = 0; i < POISON || g < GOOD; ) {
        if (g < GOOD && (i >= POISON || (i + g) % 6 === 5)) {
          const good = goodMessage(topic, g, receiver.url(`/cb/${topic}`));
          // The timer and the transactions sink require the transaction id as the key.
          const key = topic === "transactions" ? `${id}-t${g}` : `good-${g}`;
          records.push(platform.codec.encode(physical, good.schema, good.message, key));
          g++;
        } else {
          records.push({
            key: `poison-${i}`,
            value: poisonValue(topic, i),
            headers: { "poison-kind": String(POISON_KINDS[i % 4]) },
          });
          i++;
        }
      }
      await producer.sendAll(physical, records);
    }
    const writtenMs = Date.now() - startedAtMs;
    // Side by side: on a loaded 2-core machine eight start-ups one after the other take minutes.
    const startups = await Promise.all(
      consumers.map(async (entry) => {
        const t0 = Date.now();
        const service = new ServiceProcess(
          entryPointOf(entry),
          {
            TOPIC_PREFIX: `${id}.`,
            STATE_NAMESPACE: `${id}:`,
            DATABASE_URL: databaseUrl,
            [groupVar(entry)]: `${id}-${entry.name}`,
            LOG_LEVEL: "error",
          },
          await freePort(),
        );
        services.push(service);
        await service.spawn(false);
        // Generous: eight services starting together on a loaded 2-core machine.
        await service.waitHealthy(240_000);
        return { service, ms: Date.now() - t0 };
      }),
    );
    console.log(
      `poison: written in ${writtenMs} ms; start-ups ${consumers.map((c, i) => `${c.name} ${startups[i]?.ms} ms`).join(", ")}`,
    );
    const tallies = consumers.map((entry, i) => ({
      entry,
      service: startups[i]?.service as ServiceProcess,
      records: 0,
      dead: 0,
    }));
    let lastPrintMs = 0;
    await waitUntil(
      async () => {
        for (const t of tallies) {
          t.records = await metric(t.service, "tributary_processor_records_total");
          t.dead = await metric(t.service, "tributary_processor_dead_letters_total");
        }
        if (Date.now() - lastPrintMs > 15_000) {
          lastPrintMs = Date.now();
          console.log(tallies.map((t) => `${t.entry.name} ${t.records}/${t.dead}`).join(" "));
        }
        return tallies.every((t) => t.dead >= POISON && t.records - t.dead >= GOOD);
      },
      {
        timeoutMs: 300_000,
        intervalMs: 1_000,
        describe: () => tallies.map((t) => `${t.entry.name}: records ${t.records}, dlq ${t.dead}`).join("; "),
      },
    );
    const processedMs = Date.now() - startedAtMs - writtenMs;
    for (const topic of topics) {
      const dlq = await readTopic(platform.kafka, platform.topic(topicSpec(topic).deadLetter));
      for (const t of tallies.filter((x) => (x.entry.kafka.reads as readonly string[]).includes(topic))) {
        const ours = dlq.filter((r) => r.headers[DLQ_HEADERS.processor] === t.entry.name);
        // A good record may also end in a DLQ, but only as a delivery that gave up (the callback
        // dispatcher under load), never as undecodable; poison records are the keys poison-*.
        const mine = ours.filter((r) => r.key?.startsWith("poison-"));
        const goodDead = ours.filter((r) => !r.key?.startsWith("poison-"));
        for (const r of goodDead)
          expect(r.headers[DLQ_HEADERS.errorCode], `${t.entry.name} good record`).not.toBe("decode_failed");
        const kinds = new Map<string, number>();
        for (const r of mine)
          kinds.set(r.headers["poison-kind"] ?? "good?", (kinds.get(r.headers["poison-kind"] ?? "good?") ?? 0) + 1);
        console.log(
          `${topic} → ${t.entry.name}: sent ${POISON} poison + ${GOOD} good; dlq ${mine.length} ${JSON.stringify(Object.fromEntries(kinds))}; processed good ${t.records - t.dead}`,
        );
        expect(mine.length, `${t.entry.name} DLQ`).toBe(POISON);
        expect(new Set(mine.map((r) => r.key)).size).toBe(POISON);
        expect(mine.every((r) => r.key?.startsWith("poison-"))).toBe(true);
        for (const r of mine) {
          expect(r.headers[DLQ_HEADERS.reason] ?? "").not.toBe("");
          expect(r.headers[DLQ_HEADERS.errorCode]).toBe("decode_failed");
          expect(r.headers[DLQ_HEADERS.sourceTopic]).toBe(platform.topic(topic));
        }
        expect(t.dead).toBe(POISON);
        expect(t.records - t.dead).toBe(GOOD);
      }
    }
    console.log(`poison: written in ${writtenMs} ms, all consumers done in ${processedMs} ms (incl. start-up)`);
  });
});
