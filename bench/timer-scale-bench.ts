// Timer state at scale (issue 14.6): bytes per pending transaction in Dragonfly/Redis, timer
// catch-up after N Starts, and deadline → callback latency at a paced timeout rate, with the N
// transactions still pending. Run: `make bench-timers` (stack up). Uses a redis-server of its
// own on a free port (flushed and killed at the end, never the shared one), a fresh topic
// prefix and database; prints JSON lines. BENCH_TIMER_PENDING (default 1,000,000),
// BENCH_TIMER_RATE (timeouts/s, default 1000), BENCH_TIMER_SECONDS (default 20).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { create, toJson } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import pg from "pg";
import { TransactionEventSchema, TransactionStartedSchema } from "../gen/transactions/v1/transaction_event_pb.js";
import { encodePending, type PendingTransaction, transactionTimerKeys } from "../processors/transaction-timer/index.js";
import { topicCatalog } from "../runtime/catalog/catalog.js";
import { KafkaAdapter, type OutgoingRecord } from "../runtime/kafka/kafka-adapter.js";
import { readTopicRange } from "../runtime/kafka/topic-range-reader.js";
import { createLogger } from "../runtime/observability/logger.js";
import { topicDeclaration } from "../runtime/platform.js";
import { SchemaRegistryClient } from "../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../runtime/serde/topic-codec.js";
import { offsetField } from "../runtime/state/redis-state-store.js";
import { CallbackReceiver } from "../testkit/index.js";
import { machineInfo } from "./machine.js";
import { percentile } from "./ping-load.js";
import { spawnService, stopService } from "./spawn-service.js";

const PENDING = Number(process.env.BENCH_TIMER_PENDING ?? 1_000_000);
const RATE_PER_S = Number(process.env.BENCH_TIMER_RATE ?? 1_000);
const PACED_SECONDS = Number(process.env.BENCH_TIMER_SECONDS ?? 20);
const FORMAT_SAMPLE = 100_000;
const CLIENTS = 100;
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const databaseUrl = process.env.DATABASE_URL ?? "postgres://tributary@127.0.0.1:15432/tributary";
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const id = `benchtimer${Date.now().toString(36)}`;
const prefix = `${id}.`;
const namespace = `${id}:`;
const keys = transactionTimerKeys(namespace);
const log = createLogger("bench", "warn");
const kafka = new KafkaAdapter({ brokers, clientId: "bench", logger: log });
const codec = new TopicCodec(
  new SchemaRegistryClient(registryUrl),
  topicCatalog.flatMap((t) => (t.message === null ? [] : [t.message])),
);
const print = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 10) / 10;
const txnTopic = `${prefix}transactions`;

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(percentile(sorted, p));
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: round(sorted.at(-1) ?? Number.NaN) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** A Start as the gateway writes it (mock-client-like values, a traceparent header). */
function startRecord(i: number, prefixId: string, timeoutSeconds: number, callback: string, nowMs: number) {
  const txnId = `${prefixId}-${i.toString(36).padStart(6, "0")}-${(i * 2654435761) % 1e9}`;
  const started = create(TransactionStartedSchema, {
    clientId: `client-${i % CLIENTS}`,
    transactionType: "order",
    transactionId: txnId,
    callbackTarget: callback,
    payload: { case: "payloadJson", value: `{"order":"${txnId}","amount":42}` },
    timeoutSeconds,
  });
  const message = create(TransactionEventSchema, {
    eventTimeMs: BigInt(nowMs),
    event: { case: "started", value: started },
  });
  const trace = `00-${(i + 1).toString(16).padStart(32, "a")}-${(i + 7).toString(16).padStart(16, "b")}-01`;
  const record = codec.encode(txnTopic, TransactionEventSchema, message, txnId, { traceparent: trace });
  return { record, txnId, started, trace };
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? Number.NaN);
}

async function memoryUsage(redis: Redis, key: string): Promise<number> {
  return Number((await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0")) ?? 0);
}

/** MEMORY USAGE, HLEN and OBJECT ENCODING over many keys, pipelined. */
async function keyStats(redis: Redis, names: readonly string[]) {
  let bytes = 0;
  let entries = 0;
  const encodings: Record<string, number> = {};
  for (let i = 0; i < names.length; i += 1_000) {
    const pipeline = redis.pipeline();
    for (const name of names.slice(i, i + 1_000)) {
      pipeline.call("MEMORY", "USAGE", name, "SAMPLES", "0").hlen(name).call("OBJECT", "ENCODING", name);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (let j = 0; j + 2 < replies.length; j += 3) {
      bytes += Number(replies[j]?.[1] ?? 0);
      entries += Number(replies[j + 1]?.[1] ?? 0);
      const encoding = replies[j + 2]?.[1];
      if (typeof encoding === "string") encodings[encoding] = (encodings[encoding] ?? 0) + 1;
    }
  }
  return { bytes, entries, encodings };
}

async function sampleValueBytes(redis: Redis, names: readonly string[]): Promise<number> {
  for (const name of names) {
    const field = await redis.hrandfield(name);
    if (typeof field === "string") return redis.hstrlen(name, field);
  }
  return 0;
}

async function timerCaughtUp(redis: Redis, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ends = (await kafka.partitionOffsets(txnTopic)).filter((e) => e.high > e.low);
    const stored =
      ends.length === 0 ? [] : await redis.hmget(keys.offsets, ...ends.map((e) => offsetField(txnTopic, e.partition)));
    if (ends.every((e, i) => Number(stored[i] ?? -1) >= e.high)) return;
    if (Date.now() > deadline) throw new Error("timer did not catch up");
    await sleep(200);
  }
}

/** The service's V8 heap in use and total (its /metrics, prom-client default metrics), MB. */
async function heapMb(port: number): Promise<{ used: number; total: number } | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const read = (name: string) =>
      Math.round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, "m").exec(text)?.[1]) / 2 ** 20);
    return { used: read("nodejs_heap_size_used_bytes"), total: read("nodejs_heap_size_total_bytes") };
  } catch {
    return null;
  }
}

function rssMb(child: ChildProcess): number {
  try {
    return Math.round(
      Number(
        execFileSync("ps", ["-o", "rss=", "-p", String(child.pid)])
          .toString()
          .trim(),
      ) / 1024,
    );
  } catch {
    return Number.NaN;
  }
}

const redisPort = await freePort();
const redisChild = spawn(
  "redis-server",
  // The listpack limits the timer's bucketed hashes are sized for (transaction-timer-keys.ts).
  [
    "--port",
    String(redisPort),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--hash-max-listpack-entries",
    "512",
    "--hash-max-listpack-value",
    "256",
  ],
  {
    stdio: "ignore",
  },
);
const redisUrl = `redis://127.0.0.1:${redisPort}`;
const redis = new Redis(redisUrl, { retryStrategy: () => 100 });
redis.on("error", () => undefined);
for (let i = 0; i < 100 && (await redis.ping().catch(() => "")) !== "PONG"; i++) await sleep(100);
const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE "${id}"`);
const benchDb = new URL(databaseUrl);
benchDb.pathname = `/${id}`;
await kafka.ensureTopics(topicCatalog.map((t) => topicDeclaration(prefix, t)));
for (const spec of topicCatalog) if (spec.message !== null) await codec.registerTopic(`${prefix}${spec.name}`, spec);
const receiver = await CallbackReceiver.start();
const env = {
  TOPIC_PREFIX: prefix,
  STATE_NAMESPACE: namespace,
  DATABASE_URL: benchDb.toString(),
  REDIS_URL: redisUrl,
  TRANSACTION_TIMER_GROUP_ID: `${id}-timer`,
  CALLBACK_DISPATCHER_GROUP_ID: `${id}-dispatcher`,
  OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32",
};
const services: ChildProcess[] = [];
const producer = kafka.createProducer();
await producer.connect();

try {
  print({ bench: "machine", ...machineInfo(), store: `redis-server ${redisVersion()} (own instance)` });

  // 1. Value formats side by side, written straight into hashes (no timer): JSON (before) vs compact.
  {
    const now = Date.now();
    const sizes: Record<string, number> = {};
    for (const format of ["json", "compact"] as const) {
      const key = `${namespace}format:${format}`;
      for (let i = 0; i < FORMAT_SAMPLE; i += 5_000) {
        const pipeline = redis.pipeline();
        for (let j = i; j < Math.min(FORMAT_SAMPLE, i + 5_000); j++) {
          const s = startRecord(j, "f", 3600, receiver.target(), now);
          const pending = { started: s.started, startedAtMs: now, deadlineMs: now + 3_600_000, traceparent: s.trace };
          pipeline.hset(key, s.txnId, format === "json" ? legacyJson(pending) : encodePending(pending));
        }
        await pipeline.exec();
      }
      sizes[format] = Math.round((await memoryUsage(redis, key)) / FORMAT_SAMPLE);
      await redis.del(key);
    }
    print({ bench: "pending-value-format", values: FORMAT_SAMPLE, bytesPerEntryInHash: sizes });
  }

  // 2. N pending Starts produced in pipelined bursts, then the timer started and timed to catch up.
  const callback = receiver.target();
  const produceStarted = performance.now();
  const now = Date.now();
  const burst = 5_000;
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < PENDING; i += burst) {
    const records: OutgoingRecord[] = [];
    for (let j = i; j < Math.min(PENDING, i + burst); j++)
      records.push(startRecord(j, "p", 3600, callback, now).record);
    inFlight.push(producer.sendAll(txnTopic, records));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const produceMs = performance.now() - produceStarted;
  print({
    bench: "starts-produced",
    starts: PENDING,
    seconds: round(produceMs / 1000),
    perS: Math.round((PENDING / produceMs) * 1000),
  });

  const memBefore = await usedMemory(redis);
  const timerSpawnedAt = performance.now();
  const timer = spawnService("dist/processors/transaction-timer/main.js", env, await freePort());
  services.push(timer.child);
  await timer.ready;
  const readyMs = performance.now() - timerSpawnedAt;
  await timerCaughtUp(redis, 1_800_000);
  const catchUpMs = performance.now() - timerSpawnedAt;
  await sleep(1_000);
  const memAfter = await usedMemory(redis);
  const pendingKeys = [0, 1, 2, 3, 4, 5].flatMap((p) => keys.timerBuckets(p));
  const indexKeys = Array.from({ length: CLIENTS }, (_, c) => keys.clientBuckets(`client-${c}`)).flat();
  const pending = await keyStats(redis, pendingKeys);
  const index = await keyStats(redis, indexKeys);
  const pendingBytes = pending.bytes;
  const indexBytes = index.bytes;
  const pendingCount = pending.entries;
  print({
    bench: "timer-catch-up",
    starts: PENDING,
    pendingStored: pendingCount,
    timerReadyMs: Math.round(readyMs),
    catchUpFromSpawnS: round(catchUpMs / 1000),
    appliedPerS: Math.round((PENDING / (catchUpMs - readyMs)) * 1000),
    timerRssMb: rssMb(timer.child),
    timerHeapMb: await heapMb(timer.port),
  });
  print({
    bench: "pending-memory",
    pending: pendingCount,
    bytesPerPending: {
      valueHash: round(pendingBytes / pendingCount),
      clientIndex: round(indexBytes / pendingCount),
      allKeysMemoryUsage: round((pendingBytes + indexBytes) / pendingCount),
      usedMemoryDelta: round((memAfter - memBefore) / pendingCount),
    },
    encodings: { pendingBuckets: pending.encodings, clientBuckets: index.encodings },
    keys: { pendingBuckets: pendingKeys.length, clientBuckets: indexKeys.length },
    sampleValueBytes: await sampleValueBytes(redis, pendingKeys),
  });

  // 3. Deadline → callback at RATE_PER_S timeouts/s (5 s timeouts), the N still pending.
  const dispatcher = spawnService("dist/processors/callback-dispatcher/main.js", env, await freePort());
  const gateway = spawnService("dist/producers/gateway/main.js", env, await freePort());
  services.push(dispatcher.child, gateway.child);
  await Promise.all([dispatcher.ready, gateway.ready]);
  const deadlines = new Map<string, number>();
  const total = RATE_PER_S * PACED_SECONDS;
  const pacedStart = Date.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((Date.now() - pacedStart) / 1000) * RATE_PER_S));
    const records: OutgoingRecord[] = [];
    const nowMs = Date.now();
    for (; sent < due; sent++) {
      const s = startRecord(sent, "d", 5, callback, nowMs);
      records.push(s.record);
      deadlines.set(s.txnId, nowMs + 5_000);
    }
    if (records.length > 0) await producer.sendAll(txnTopic, records);
    await sleep(20);
  }
  const waitEnd = Date.now() + 90_000;
  const firsts = new Map<string, number>();
  while (Date.now() < waitEnd) {
    for (const c of receiver.received) {
      const txn = c.timeout.started?.transactionId ?? "";
      const deadline = deadlines.get(txn);
      if (deadline !== undefined && !firsts.has(txn)) firsts.set(txn, c.receivedAtMs - deadline);
    }
    if (firsts.size >= total) break;
    await sleep(200);
  }
  // Split of the latency: deadline → timeout record written by the timer (its broker timestamp).
  const emitted: number[] = [];
  const timeoutsTopic = `${prefix}transactions.timeouts`;
  const timeoutEnds = await kafka.partitionOffsets(timeoutsTopic);
  await readTopicRange(kafka, {
    topic: timeoutsTopic,
    from: new Map(timeoutEnds.map((e) => [e.partition, e.low])),
    until: new Map(timeoutEnds.map((e) => [e.partition, e.high])),
    groupLabel: "bench-timeouts",
    timeoutMs: 60_000,
    onRecords: (batch) => {
      for (const r of batch) {
        const deadline = deadlines.get(r.key ?? "");
        if (deadline !== undefined) emitted.push(r.timestampMs - deadline);
      }
    },
  });
  print({
    bench: "deadline-to-callback",
    deadlineToTimeoutRecordMs: stats(emitted),
    ratePerS: RATE_PER_S,
    timeouts: total,
    callbacks: firsts.size,
    pendingMeanwhile: pendingCount,
    latencyMs: stats([...firsts.values()]),
    rssMb: { timer: rssMb(timer.child), dispatcher: rssMb(dispatcher.child), gateway: rssMb(gateway.child) },
    timerHeapMb: await heapMb(timer.port),
  });

  // 4. ListPending still shows the compact values readably.
  const listing = (await (
    await fetch(`http://127.0.0.1:${gateway.port}/transactions.v1.TransactionService/ListPending`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "client-7" }),
    })
  ).json()) as { pending?: unknown[]; caughtUp?: boolean; totalSize?: number; code?: string; message?: string };
  print({
    bench: "list-pending",
    client: "client-7",
    // A first page (1,000 by default) of totalSize; an error answer is printed, not counted as 0.
    pending: listing.pending?.length ?? 0,
    totalSize: listing.totalSize ?? 0,
    caughtUp: listing.caughtUp,
    ...(listing.code === undefined ? {} : { error: `${listing.code}: ${listing.message ?? ""}` }),
    first: listing.pending?.[0],
  });
} finally {
  await Promise.all(services.map((c) => stopService(c)));
  await producer.disconnect().catch(() => undefined);
  await receiver.close();
  const topics = (await kafka.listTopics()).filter((t) => t.startsWith(prefix));
  await kafka.deleteTopics(topics).catch(() => undefined);
  await kafka.close();
  redis.disconnect();
  redisChild.kill("SIGKILL");
  await admin.query(`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`);
  await admin.end();
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync("redis-server", ["--version"]).toString())?.[1] ?? "?";
  } catch {
    return "?";
  }
}

/** The value format before the compact one (issue 16's JSON with traceparent), for comparison. */
function legacyJson(p: PendingTransaction): string {
  return JSON.stringify({
    started: toJson(TransactionStartedSchema, p.started),
    startedAtMs: p.startedAtMs,
    deadlineMs: p.deadlineMs,
    traceparent: p.traceparent,
  });
}
