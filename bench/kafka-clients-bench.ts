// Kafka client comparison (issue 14, item 2): kafkajs (behind runtime/kafka/kafka-adapter.ts today)
// against @platformatic/kafka, each driven the way the adapter drives kafkajs: batched idempotent
// produce with acks=all, read_committed consume of a preloaded topic, transactions with records +
// consumer offsets, and the admin calls the adapter makes. Same records, same broker, A/B rounds
// interleaved; each result carries the 1-minute load average (other work shares the 2 cores).
// Run: `make bench-kafka-clients` (stack up, then `node dist/bench/kafka-clients-bench.js`).
// This file and the bare reference server are the only places besides runtime/kafka/ that import a
// Kafka client (exempted in tools/boundaries/rules.ts).
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  type Message,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { machineInfo } from "./machine.js";

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const id = `clients${Date.now().toString(36)}`;
const partitions = 6;
const load1 = () => Math.round(loadavg()[0] * 100) / 100;
const print = (result: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...result, loadAvg1m: load1() })}\n`);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const perS = (n: number, ms: number) => Math.round(n / (ms / 1000));

const kafkajs = new Kafka({ clientId: `${id}-kafkajs`, brokers, logLevel: logLevel.NOTHING });
const admin = kafkajs.admin();
await admin.connect();

/** A ping-sized record: 36-byte UUID key, ~58-byte value (the Confluent frame + PingRecorded). */
function records(n: number): { key: Buffer; value: Buffer }[] {
  return Array.from({ length: n }, () => {
    const key = randomUUID();
    const value = Buffer.alloc(58);
    value.write(key, 8);
    return { key: Buffer.from(key), value };
  });
}

async function createTopic(name: string): Promise<string> {
  // On a loaded broker waitForLeaders can fail with UNKNOWN_TOPIC_OR_PARTITION (retriable) while
  // the topic is being created: poll its metadata until every partition has a leader.
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }] });
  for (let attempt = 1; ; attempt++) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [name] });
      if (meta.topics[0]?.partitions.every((p) => p.leader >= 0) && meta.topics[0].partitions.length === partitions)
        return name;
    } catch (err) {
      if (attempt > 50) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- produce: 4 callers x 5,000 records, idempotent, acks=all ----------------------------------

async function fourCallers(
  batch: readonly { key: Buffer; value: Buffer }[],
  send: (chunk: { key: Buffer; value: Buffer }[]) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const caller = async () => {
    while (next < batch.length) {
      const chunk = batch.slice(next, next + 5_000);
      next += chunk.length;
      await send(chunk);
    }
  };
  await Promise.all([caller(), caller(), caller(), caller()]);
  return perS(batch.length, performance.now() - t0);
}

async function produceKafkajs(topic: string, batch: { key: Buffer; value: Buffer }[]): Promise<number> {
  // The adapter's settings: one request in flight keeps kafkajs's idempotent sequences correct.
  const producer = kafkajs.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const rate = await fourCallers(batch, (chunk) => producer.send({ topic, acks: -1, messages: chunk }));
  await producer.disconnect();
  return rate;
}

async function producePlatformatic(topic: string, batch: { key: Buffer; value: Buffer }[]): Promise<number> {
  const producer = new Producer({
    clientId: `${id}-platformatic`,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
  const rate = await fourCallers(batch, (chunk) => producer.send({ messages: chunk.map((m) => ({ topic, ...m })) }));
  await producer.close();
  return rate;
}

// ---- consume: read_committed, from the earliest offset, fresh group ----------------------------

async function consumeKafkajs(topic: string, n: number, groupId: string) {
  const consumer = kafkajs.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 1_000 });
  const t0 = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (first === 0) first = performance.now();
        seen += batch.messages.length;
        if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
        if (seen >= n) resolve();
      },
    });
  });
  const end = performance.now();
  await consumer.disconnect();
  return { fromStart: perS(n, end - t0), fromFirstFetch: perS(n, end - first) };
}

async function consumePlatformatic(topic: string, n: number, groupId: string) {
  const consumer = new Consumer({
    clientId: `${id}-platformatic`,
    bootstrapBrokers: brokers,
    groupId,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 1_000,
  });
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  let seen = 0;
  let first = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on("data", () => {
      if (first === 0) first = performance.now();
      seen += 1;
      if (seen === n) resolve();
    });
    stream.once("error", reject);
  });
  const end = performance.now();
  await stream.close();
  await consumer.close(true);
  return { fromStart: perS(n, end - t0), fromFirstFetch: perS(n, end - first) };
}

// ---- transactions: 100 records + the consumer offsets per transaction ---------------------------

async function transactionsKafkajs(inTopic: string, outTopic: string, count: number, groupId: string) {
  const producer = kafkajs.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId: `${id}-tx-kafkajs-${groupId}`,
    transactionTimeout: 30_000,
  });
  await producer.connect();
  const batch = records(100);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const tx = await producer.transaction();
    await tx.send({ topic: outTopic, acks: -1, messages: batch });
    // As the adapter does: offsets given by topic/partition/offset for a group id.
    await tx.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: inTopic, partitions: [{ partition: 0, offset: String(i + 1) }] }],
    });
    await tx.commit();
  }
  const ms = performance.now() - t0;
  await producer.disconnect();
  return perS(count, ms);
}

async function transactionsPlatformatic(inTopic: string, outTopic: string, count: number, groupId: string) {
  // platformatic commits offsets only for a message it consumed, through the consumer's group
  // membership (KIP-447 fencing): join the group and take one message to hand to addOffset.
  const consumer = new Consumer({
    clientId: `${id}-platformatic-tx`,
    bootstrapBrokers: brokers,
    groupId,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const stream = await consumer.consume({ topics: [inTopic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  const message = await new Promise<Message>((resolve) => stream.once("data", resolve));
  stream.pause();
  const producer = new Producer({
    clientId: `${id}-platformatic-tx`,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    transactionalId: `${id}-tx-platformatic-${groupId}`,
  });
  const batch = records(100).map((m) => ({ topic: outTopic, ...m }));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const tx = await producer.beginTransaction();
    await tx.send({ messages: batch });
    await tx.addConsumer(consumer);
    await tx.addOffset(message);
    await tx.commit();
  }
  const ms = performance.now() - t0;
  await producer.close();
  await stream.close();
  await consumer.close(true);
  return perS(count, ms);
}

// ---- admin: the calls the adapter makes (list, create, offsets, metadata, delete) -------------

async function timeMs(fn: () => Promise<unknown>, times: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < times; i++) await fn();
  return Math.round(((performance.now() - t0) / times) * 10) / 10;
}

async function adminKafkajs(topic: string) {
  const a = kafkajs.admin();
  await a.connect();
  const created = `${topic}.admin-kafkajs`;
  const result = {
    listTopicsMs: await timeMs(() => a.listTopics(), 10),
    fetchTopicOffsetsMs: await timeMs(() => a.fetchTopicOffsets(topic), 10),
    fetchTopicMetadataMs: await timeMs(() => a.fetchTopicMetadata({ topics: [topic] }), 10),
    createTopicMs: await timeMs(() => a.createTopics({ topics: [{ topic: created, numPartitions: partitions }] }), 1),
    deleteTopicMs: await timeMs(() => a.deleteTopics({ topics: [created] }), 1),
  };
  await a.disconnect();
  return result;
}

async function adminPlatformatic(topic: string) {
  const a = new Admin({ clientId: `${id}-platformatic-admin`, bootstrapBrokers: brokers });
  const created = `${topic}.admin-platformatic`;
  const result = {
    listTopicsMs: await timeMs(() => a.listTopics(), 10),
    fetchTopicOffsetsMs: await timeMs(
      () =>
        a.listOffsets({
          topics: [
            {
              name: topic,
              partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp: -1n })),
            },
          ],
        }),
      10,
    ),
    fetchTopicMetadataMs: await timeMs(() => a.metadata({ topics: [topic], forceUpdate: true }), 10),
    createTopicMs: await timeMs(() => a.createTopics({ topics: [created], partitions, replicas: -1 }), 1),
    deleteTopicMs: await timeMs(() => a.deleteTopics({ topics: [created] }), 1),
  };
  await a.close();
  return result;
}

print({ bench: "machine", ...machineInfo(), rounds, scale });
const produced = records(100_000 * scale);
const produceTopic = await createTopic(`${id}.produce`);
const txIn = await createTopic(`${id}.tx-in`);
const txOut = await createTopic(`${id}.tx-out`);
try {
  await produceKafkajs(txIn, records(10));
  for (let round = 1; round <= rounds; round++) {
    const a = await produceKafkajs(produceTopic, produced);
    const b = await producePlatformatic(produceTopic, produced);
    print({
      bench: "produce",
      round,
      records: produced.length,
      kafkajsPerS: a,
      platformaticPerS: b,
      ratio: ratio(b, a),
    });
  }
  // The produce rounds above preloaded the topic: rounds x N records.
  const n = produced.length * rounds;
  for (let round = 1; round <= rounds; round++) {
    const a = await consumeKafkajs(produceTopic, n, `${id}-c-kafkajs-${round}`);
    const b = await consumePlatformatic(produceTopic, n, `${id}-c-platformatic-${round}`);
    print({
      bench: "consume",
      round,
      records: n,
      kafkajsPerSFromStart: a.fromStart,
      kafkajsPerSFromFirstFetch: a.fromFirstFetch,
      platformaticPerSFromStart: b.fromStart,
      platformaticPerSFromFirstFetch: b.fromFirstFetch,
      ratioFromStart: ratio(b.fromStart, a.fromStart),
      ratioSteady: ratio(b.fromFirstFetch, a.fromFirstFetch),
    });
  }
  const transactions = 200 * scale;
  for (let round = 1; round <= rounds; round++) {
    const a = await transactionsKafkajs(txIn, txOut, transactions, `${id}-tx-kafkajs-${round}`);
    let b: number | string;
    try {
      b = await transactionsPlatformatic(txIn, txOut, transactions, `${id}-tx-platformatic-${round}`);
    } catch (err) {
      b = `failed: ${String(err)}`;
    }
    print({
      bench: "transactions",
      round,
      transactions,
      recordsPerTransaction: 100,
      kafkajsTxPerS: a,
      platformaticTxPerS: b,
      ratio: typeof b === "number" ? ratio(b, a) : null,
    });
  }
  for (let round = 1; round <= rounds; round++) {
    print({
      bench: "admin",
      round,
      kafkajs: await adminKafkajs(produceTopic),
      platformatic: await adminPlatformatic(produceTopic),
    });
  }
} finally {
  await admin.deleteTopics({ topics: [produceTopic, txIn, txOut] });
  await admin.disconnect();
}
process.exit(0);
