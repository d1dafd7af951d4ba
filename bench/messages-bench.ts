// Messages benchmark: PutBatch (100 events) events/s and GetBatch (100 ids) p50/p99 through the
// gateway + Kafka + messages sink, against the same rows written and read by a plain `pg` client
// straight into Postgres, in the same run. Also splits the put path into its parts.
// Run: `source stack/env.sh && node dist/bench/messages-bench.js` (BENCH_SCALE=2 doubles counts).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { type CloudEvent, CloudEventSchema, MessageCommandSchema } from "../gen/messages/v1/cloud_event_pb.js";
import { MessageService } from "../gen/messages/v1/message_service_pb.js";
import { topicCatalog } from "../runtime/catalog/catalog.js";
import { KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../runtime/observability/logger.js";
import { topicDeclaration } from "../runtime/platform.js";
import { SchemaRegistryClient } from "../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../runtime/serde/topic-codec.js";
import { machineInfo } from "./machine.js";
import { percentile } from "./ping-load.js";
import { spawnService, stopService } from "./spawn-service.js";

const scale = Number(process.env.BENCH_SCALE ?? 1);
const BATCH = 100;
const PUT_BATCHES = Math.round(150 * scale);
const GETS = Math.round(300 * scale);
const CONCURRENCY = 4;
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const adminUrl = process.env.DATABASE_URL ?? "postgres://tributary@127.0.0.1:15432/tributary";
const id = `benchmsg${Date.now().toString(36)}`;
const prefix = `${id}.`;
const topic = `${prefix}messages`;
const log = createLogger("bench", "warn");
const kafka = new KafkaAdapter({ brokers, clientId: "bench", logger: log });
const codec = new TopicCodec(
  new SchemaRegistryClient(process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7"),
  [MessageCommandSchema],
);
const print = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);
const round = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

/** A seed-like event: subject + time attributes, ~100 bytes of text. */
function event(eventId: string): CloudEvent {
  return create(CloudEventSchema, {
    id: eventId,
    source: "bench/uri",
    specVersion: "1.0",
    type: "bench.type",
    attributes: {
      subject: { attr: { case: "ceString", value: "Obi-Wan Kenobi" } },
      time: { attr: { case: "ceTimestamp", value: timestampFromMs(Date.now()) } },
    },
    data: { case: "textData", value: `I felt a great disturbance in the force (${eventId})`.padEnd(100, ".") },
  });
}

const batchIds = (label: string, b: number) => Array.from({ length: BATCH }, (_, i) => `${label}-${b}-${i}`);

/** Runs `count` jobs on CONCURRENCY workers; returns elapsed ms and per-job latencies. */
async function pool(count: number, job: (n: number) => Promise<void>): Promise<{ ms: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < count; n = next++) {
        const t0 = performance.now();
        await job(n);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return { ms: performance.now() - started, lat };
}

async function createDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${id}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${id}`;
  return url.toString();
}

async function dropEverything(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`);
  await admin.end();
  await kafka.deleteTopics((await kafka.listTopics()).filter((t) => t.startsWith(prefix))).catch(() => undefined);
  await kafka.close();
}

async function sinkCaughtUp(db: pg.Pool, consumer: string): Promise<void> {
  for (;;) {
    const ends = await kafka.partitionOffsets(topic);
    const stored = await db.query<{ partition: number; next_offset: string }>(
      "SELECT partition, next_offset FROM tributary_offsets WHERE consumer = $1 AND topic = $2",
      [consumer, topic],
    );
    const at = new Map(stored.rows.map((r) => [r.partition, Number(r.next_offset)]));
    if (ends.every((e) => (at.get(e.partition) ?? 0) >= e.high)) return;
    await sleep(20);
  }
}

async function main(): Promise<void> {
  print({
    bench: "messages",
    machine: machineInfo(),
    batch: BATCH,
    putBatches: PUT_BATCHES,
    gets: GETS,
    concurrency: CONCURRENCY,
  });
  await kafka.ensureTopics(
    topicCatalog.filter((t) => t.name.startsWith("messages")).map((t) => topicDeclaration(prefix, t)),
  );
  const spec = topicCatalog.find((t) => t.name === "messages");
  if (spec !== undefined) await codec.registerTopic(topic, spec);
  const databaseUrl = await createDatabase();
  const consumer = `${id}-sink`;
  const env = {
    TOPIC_PREFIX: prefix,
    STATE_NAMESPACE: `${id}:`,
    DATABASE_URL: databaseUrl,
    MESSAGES_SINK_GROUP_ID: consumer,
  };
  const sink = spawnService("dist/sinks/messages/main.js", env, 19_700);
  await sink.ready;
  const gateway = spawnService("dist/producers/gateway/main.js", env, 19_701);
  await gateway.ready;
  const db = new pg.Pool({ connectionString: databaseUrl, max: CONCURRENCY + 1 });
  const client = createClient(
    MessageService,
    createConnectTransport({ baseUrl: `http://127.0.0.1:${gateway.port}`, httpVersion: "1.1" }),
  );
  try {
    // Warm-up: connections, schema caches, the sink's first commits.
    for (let b = 0; b < 5; b++) await client.putBatch({ msgs: batchIds("warm", b).map(event) });
    await sinkCaughtUp(db, consumer);

    // 1. Through Tributary: PutBatch acked (answer after the broker's ack), then visible in Postgres.
    const put = await pool(PUT_BATCHES, async (b) => {
      await client.putBatch({ msgs: batchIds("t", b).map(event) });
    });
    await sinkCaughtUp(db, consumer);
    const events = PUT_BATCHES * BATCH;
    const putStats = { eventsPerSecAcked: Math.round(events / (put.ms / 1000)), latencyMs: stats(put.lat) };

    // 2. Plain pg reference: the same rows (same columns, Protobuf bytes) into a twin table.
    await db.query("CREATE TABLE messages_ref (LIKE messages INCLUDING ALL)");
    const pgPut = await pool(PUT_BATCHES, async (b) => {
      const msgs = batchIds("r", b).map(event);
      const now = Date.now();
      await db.query(
        `INSERT INTO messages_ref (id, source, type, time, put_at, aged_at, kafka_partition, event)
         SELECT id, source, type, to_timestamp($4::bigint / 1000.0), to_timestamp($4::bigint / 1000.0),
                to_timestamp($4::bigint / 1000.0), 0, ev
         FROM unnest($1::text[], $2::text[], $3::text[], $5::bytea[]) AS x(id, source, type, ev)
         ON CONFLICT (id) DO UPDATE SET event = EXCLUDED.event`,
        [
          msgs.map((m) => m.id),
          msgs.map((m) => m.source),
          msgs.map((m) => m.type),
          now,
          msgs.map((m) => Buffer.from(toBinary(CloudEventSchema, m))),
        ],
      );
    });
    const pgPutStats = { eventsPerSecAcked: Math.round(events / (pgPut.ms / 1000)), latencyMs: stats(pgPut.lat) };

    // 3. Where the put time goes: encoding alone, and the same records straight through the producer.
    const encodeT0 = performance.now();
    for (let b = 0; b < PUT_BATCHES; b++) {
      for (const m of batchIds("e", b).map(event))
        codec.encode(
          topic,
          MessageCommandSchema,
          create(MessageCommandSchema, { command: { case: "put", value: m } }),
          m.id,
        );
    }
    const encodeMsPerBatch = (performance.now() - encodeT0) / PUT_BATCHES;
    const producer = kafka.createProducer();
    await producer.connect();
    const produce = await pool(PUT_BATCHES, async (b) => {
      const records = batchIds("p", b).map((eventId) =>
        codec.encode(
          topic,
          MessageCommandSchema,
          create(MessageCommandSchema, {
            command: { case: "put", value: event(eventId) },
            commandTimeMs: BigInt(Date.now()),
          }),
          eventId,
        ),
      );
      await producer.sendAll(topic, records);
    });
    await producer.disconnect();
    // Projection throughput: from the last produce ack until the sink stored everything.
    const drainT0 = performance.now();
    await sinkCaughtUp(db, consumer);
    const sinkDrainMs = performance.now() - drainT0;

    // 4. GetBatch of 100 existing ids: through the gateway (nothing pending) vs plain pg.
    const pick = (label: string, n: number) => batchIds(label, n % PUT_BATCHES);
    const get = await pool(GETS, async (n) => {
      const res = await client.getBatch({ ids: pick("t", n) });
      if (res.msgs.length !== BATCH) throw new Error(`GetBatch returned ${res.msgs.length}`);
    });
    const pgGet = await pool(GETS, async (n) => {
      const res = await db.query<{ event: Buffer }>("SELECT id, event FROM messages_ref WHERE id = ANY($1::text[])", [
        pick("r", n),
      ]);
      if (res.rows.length !== BATCH) throw new Error(`pg returned ${res.rows.length}`);
      // Same decoding work as the gateway (it returns CloudEvent messages, not bytes).
      for (const row of res.rows) fromBinary(CloudEventSchema, row.event);
    });

    // 5. Read-your-writes: PutBatch then GetBatch of the same 100 ids (the get waits for the sink).
    const ryw = await pool(Math.round(60 * scale), async (b) => {
      const ids = batchIds("ryw", b);
      await client.putBatch({ msgs: ids.map(event) });
      const res = await client.getBatch({ ids });
      if (res.msgs.length !== BATCH) throw new Error("read-your-writes miss");
    });

    print({
      phase: "put",
      tributary: putStats,
      plainPg: pgPutStats,
      ratio: round(pgPutStats.eventsPerSecAcked / putStats.eventsPerSecAcked),
      breakdown: {
        encodeMsPerBatch: round(encodeMsPerBatch),
        bareProduceLatencyMs: stats(produce.lat),
        bareProduceEventsPerSec: Math.round(events / (produce.ms / 1000)),
        sinkDrainAfterProduceMs: Math.round(sinkDrainMs),
      },
    });
    print({
      phase: "get",
      tributaryMs: stats(get.lat),
      plainPgMs: stats(pgGet.lat),
      ratioP50: round(stats(get.lat).p50 / stats(pgGet.lat).p50),
    });
    print({ phase: "put-then-get", pairLatencyMs: stats(ryw.lat) });
  } finally {
    await db.end();
    await stopService(gateway.child);
    await stopService(sink.child);
    await dropEverything();
  }
}

await main();
