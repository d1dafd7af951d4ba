// Pings benchmark: gateway accept rate vs a bare kafkajs producer, processor count rate from a
// preloaded topic, and Ping-acknowledged → visible-in-PingCount delay at paced rates.
// Run: `make bench-pings` (stack up, then `node dist/bench/pings-bench.js`). Prints JSON lines.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import { PingRecordedSchema } from "../gen/ping/v1/ping_recorded_pb.js";
import { topicCatalog } from "../runtime/catalog/catalog.js";
import { KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../runtime/observability/logger.js";
import { topicDeclaration } from "../runtime/platform.js";
import { SchemaRegistryClient } from "../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../runtime/serde/topic-codec.js";
import { machineInfo } from "./machine.js";
import { percentile, runPingLoad } from "./ping-load.js";

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:16379";
const root = join(import.meta.dirname, "..", "..");
const scale = Number(process.env.BENCH_SCALE ?? 1);
const log = createLogger("bench", "warn");
const id = `bench${Date.now().toString(36)}`;
const prefix = `${id}.`;
const kafka = new KafkaAdapter({ brokers, clientId: "bench", logger: log });
const registry = new SchemaRegistryClient(process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7");
const codec = new TopicCodec(registry, [PingRecordedSchema]);
const print = (result: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...result, loadAvg1m: Math.round(loadavg()[0] * 100) / 100 })}\n`);

async function setupTopics(topicPrefix: string): Promise<string> {
  await kafka.ensureTopics(
    topicCatalog.filter((t) => t.name.startsWith("pings")).map((t) => topicDeclaration(topicPrefix, t)),
  );
  const topic = `${topicPrefix}pings`;
  const spec = topicCatalog.find((t) => t.name === "pings");
  if (spec) await codec.registerTopic(topic, spec);
  return topic;
}

function pingRecord(topic: string, timestampMs: number) {
  const pingId = randomUUID();
  return codec.encode(
    topic,
    PingRecordedSchema,
    create(PingRecordedSchema, { id: pingId, timestampMs: BigInt(timestampMs), acceptedAtMs: BigInt(Date.now()) }),
    pingId,
  );
}

let nextPort = 19_500;
async function stopService(service: { child: ReturnType<typeof spawn> }): Promise<void> {
  if (service.child.exitCode !== null) return;
  const exited = new Promise((resolve) => service.child.once("exit", resolve));
  service.child.kill("SIGTERM");
  await exited;
}

function startService(entry: string, env: Record<string, string>, port = nextPort++) {
  const child = spawn(process.execPath, [join(root, entry)], {
    env: { ...process.env, LOG_LEVEL: "warn", HTTP_PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ready = (async () => {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${entry} not ready`);
  })();
  return { child, ready, port };
}

/** Baseline: kafkajs idempotent producer, acks=all, batches of 500 from 4 concurrent senders. */
async function bareProducerBaseline(records: number): Promise<void> {
  const topic = await setupTopics(`${prefix}bare.`);
  const producer = new Kafka({ brokers, clientId: "bare", logLevel: logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const batch = 500;
  let sent = 0;
  const t0 = performance.now();
  const sender = async () => {
    while (sent < records) {
      const n = Math.min(batch, records - sent);
      sent += n;
      const messages = Array.from({ length: n }, () => {
        const r = pingRecord(topic, Date.now());
        return { key: r.key, value: r.value, headers: r.headers };
      });
      await producer.send({ topic, acks: -1, messages });
    }
  };
  await Promise.all([sender(), sender(), sender(), sender()]);
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  print({ bench: "bare-kafkajs-producer", records, batch, ackedPerS: Math.round(records / seconds) });
}

/** Baseline 2: kafkajs idempotent producer, one send() per record from N concurrent callers. */
async function barePerRecordBaseline(records: number, concurrency: number): Promise<void> {
  const topic = await setupTopics(`${prefix}bare1.`);
  const producer = new Kafka({ brokers, clientId: "bare1", logLevel: logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  let sent = 0;
  const t0 = performance.now();
  const sender = async () => {
    while (sent < records) {
      sent += 1;
      const r = pingRecord(topic, Date.now());
      await producer.send({ topic, acks: -1, messages: [{ key: r.key, value: r.value, headers: r.headers }] });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  print({ bench: "bare-kafkajs-producer-per-record", records, concurrency, ackedPerS: Math.round(records / seconds) });
}

async function gatewayAcceptRate(pings: number, concurrency: number, port: number): Promise<number> {
  const result = await runPingLoad({
    baseUrl: `http://127.0.0.1:${port}`,
    total: pings,
    concurrency,
    timestampOf: () => Date.now(),
  });
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const perS = Math.round((result.acked * 1000) / result.elapsedMs);
  print({
    bench: "gateway-accept",
    pings,
    concurrency,
    acked: result.acked,
    failed: result.failed,
    ackedPerS: perS,
    latencyP50Ms: +percentile(sorted, 50).toFixed(2),
    latencyP99Ms: +percentile(sorted, 99).toFixed(2),
  });
  return perS;
}

async function processorCountRate(records: number): Promise<void> {
  const topicPrefix = `${prefix}count.`;
  const topic = await setupTopics(topicPrefix);
  const producer = kafka.createProducer();
  await producer.connect();
  for (let done = 0; done < records; done += 5_000) {
    await producer.sendAll(
      topic,
      Array.from({ length: Math.min(5_000, records - done) }, () =>
        pingRecord(topic, 1_728_926_331_000 + Math.floor(Math.random() * 3_600_000)),
      ),
    );
  }
  await producer.disconnect();
  const redis = new Redis(redisUrl);
  const namespace = `${topicPrefix}`;
  const t0 = performance.now();
  const counter = startService(
    "dist/processors/ping-counter/main.js",
    { TOPIC_PREFIX: topicPrefix, STATE_NAMESPACE: namespace, PING_COUNTER_GROUP_ID: `${id}-count` },
    19_501,
  );
  await counter.ready;
  while (Number(await redis.hget(`${namespace}ping:counters`, "total")) < records)
    await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - t0) / 1000;
  await stopService(counter);
  redis.disconnect();
  print({
    bench: "processor-count-from-preloaded-topic",
    records,
    seconds: +seconds.toFixed(2),
    countedPerS: Math.round(records / seconds),
    note: "includes process start and group join",
  });
}

/** `flush`: env overrides of the counter's flush tuning; {} is the default configuration. */
async function visibilityDelay(
  ratePerS: number,
  seconds: number,
  flush: { intervalMs?: number; idleMs?: number },
): Promise<void> {
  const label = `${flush.intervalMs ?? "d"}i${flush.idleMs ?? "d"}`;
  const topicPrefix = `${prefix}vis${ratePerS}f${label}.`;
  await setupTopics(topicPrefix);
  const namespace = topicPrefix;
  const env = {
    TOPIC_PREFIX: topicPrefix,
    STATE_NAMESPACE: namespace,
    PING_COUNTER_GROUP_ID: `${id}-vis-${ratePerS}-${label}`,
    ...(flush.intervalMs === undefined ? {} : { PING_COUNTER_FLUSH_INTERVAL_MS: String(flush.intervalMs) }),
    ...(flush.idleMs === undefined ? {} : { PING_COUNTER_FLUSH_IDLE_MS: String(flush.idleMs) }),
  };
  const gateway = startService("dist/producers/gateway/main.js", env);
  const gatewayPort = gateway.port;
  const counter = startService("dist/processors/ping-counter/main.js", env);
  await Promise.all([gateway.ready, counter.ready]);
  const ackedAt: number[] = [];
  const visibleAt: number[] = [];
  let polling = true;
  const poller = (async () => {
    // PingCount as a client sees it: the total, polled every 5 ms.
    while (polling) {
      const response = await fetch(`http://127.0.0.1:${gatewayPort}/ping.v1.PingService/PingCount`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const total = Number(((await response.json()) as { total?: string }).total ?? 0);
      const now = performance.now();
      while (visibleAt.length < total) visibleAt.push(now);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const total = ratePerS * seconds;
  const result = await runPingLoad({
    baseUrl: `http://127.0.0.1:${gatewayPort}`,
    total,
    concurrency: 64,
    ratePerS,
    timestampOf: () => Date.now(),
    onAck: () => ackedAt.push(performance.now()),
  });
  const deadline = Date.now() + 30_000;
  while (visibleAt.length < result.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  polling = false;
  await poller;
  // The k-th acknowledged ping is visible once the total reaches k (counts carry no ids).
  const delays = ackedAt.map((t, k) => (visibleAt[k] ?? Number.NaN) - t).sort((a, b) => a - b);
  gateway.child.kill("SIGTERM");
  counter.child.kill("SIGTERM");
  print({
    bench: "ack-to-visible-in-PingCount",
    targetPerS: ratePerS,
    achievedPerS: Math.round((result.acked * 1000) / result.elapsedMs),
    counterFlush:
      flush.intervalMs === undefined && flush.idleMs === undefined
        ? "default (1000 records, 1000 ms, idle 50 ms)"
        : { intervalMs: flush.intervalMs ?? 1_000, idleMs: flush.idleMs ?? 50 },
    pings: result.acked,
    p50Ms: +percentile(delays, 50).toFixed(1),
    p99Ms: +percentile(delays, 99).toFixed(1),
  });
}

print({ bench: "machine", ...machineInfo() });
// BENCH_PARTS (default "producer,gateway,counter,visibility") selects parts.
const parts = new Set((process.env.BENCH_PARTS ?? "producer,gateway,counter,visibility").split(","));
if (parts.has("producer")) {
  await bareProducerBaseline(100_000 * scale);
  await barePerRecordBaseline(30_000 * scale, 64);
}
if (parts.has("gateway")) {
  const gatewayPrefix = `${prefix}gw.`;
  await setupTopics(gatewayPrefix);
  const gw = startService("dist/producers/gateway/main.js", { TOPIC_PREFIX: gatewayPrefix });
  await gw.ready;
  for (const concurrency of [16, 64, 256]) await gatewayAcceptRate(30_000 * scale, concurrency, gw.port);
  await stopService(gw);
}
if (parts.has("counter")) await processorCountRate(200_000 * scale);
if (parts.has("visibility")) {
  const seconds = Number(process.env.BENCH_VISIBILITY_S ?? 10);
  // The default configuration, the same without the idle flush (the previous default), and the
  // highest rate tried; BENCH_VISIBILITY_RUNS picks some ("default,idle0,max").
  const runs = new Set((process.env.BENCH_VISIBILITY_RUNS ?? "default,idle0,max").split(","));
  if (runs.has("default")) await visibilityDelay(1_000, seconds, {});
  if (runs.has("idle0")) await visibilityDelay(1_000, seconds, { idleMs: 0 });
  if (runs.has("max")) await visibilityDelay(Number(process.env.BENCH_VISIBILITY_MAX_RATE ?? 5_000), seconds, {});
}
const topics = (await kafka.listTopics()).filter((t) => t.startsWith(prefix));
await kafka.deleteTopics(topics);
await kafka.close();
process.exit(0);
