// References inside the benchmark (issue 14): every number is printed beside Kafka's own tools,
// a Kafka Streams EOS-v2 app and a bare node:http server on the same broker, in the same run,
// with the ratio. Rounds are interleaved (A, B, A, B) because other work shares the 2 cores;
// each result carries the 1-minute load average.
// Run: `make bench-reference` (stack up, then `node dist/bench/reference-bench.js`). JSON lines.
// BENCH_SCALE multiplies record counts, BENCH_ROUNDS (default 2) sets the rounds, BENCH_PARTS
// (default "producer,consumer,counter,ping,batch") selects parts; BENCH_PING_S the seconds per
// ping measurement; BENCH_BATCH_PINGS (default 500) the pings per PingBatch call.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import { PingRecordedSchema } from "../gen/ping/v1/ping_recorded_pb.js";
import { topicCatalog } from "../runtime/catalog/catalog.js";
import { KafkaAdapter, type OutgoingRecord } from "../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../runtime/observability/logger.js";
import { topicDeclaration } from "../runtime/platform.js";
import { SchemaRegistryClient } from "../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../runtime/serde/topic-codec.js";
import { machineInfo } from "./machine.js";
import { sampleMemory } from "./process-memory.js";
import {
  buildReferenceApp,
  consumerPerformance,
  javaMissing,
  producerPerformance,
  startStreamsApp,
  stopJava,
} from "./reference/java-tools.js";
import { batchPingLoad, grpcPingLoad } from "./rpc-load.js";
import { spawnService, stopService } from "./spawn-service.js";

const brokerList = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const brokers = brokerList.split(",");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:16379";
const root = join(import.meta.dirname, "..", "..");
const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const parts = new Set((process.env.BENCH_PARTS ?? "producer,consumer,counter,ping,batch").split(","));
const id = `ref${Date.now().toString(36)}`;
const prefix = `${id}.`;
const kafka = new KafkaAdapter({ brokers, clientId: "bench-reference", logger: createLogger("bench", "warn") });
const registry = new SchemaRegistryClient(process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7");
const codec = new TopicCodec(registry, [PingRecordedSchema]);
const load1 = () => Math.round(loadavg()[0] * 100) / 100;
const print = (result: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...result, loadAvg1m: load1() })}\n`);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const javaSkip = javaMissing();

async function setupTopics(topicPrefix: string): Promise<string> {
  await kafka.ensureTopics(
    topicCatalog.filter((t) => t.name.startsWith("pings")).map((t) => topicDeclaration(topicPrefix, t)),
  );
  const topic = `${topicPrefix}pings`;
  const spec = topicCatalog.find((t) => t.name === "pings");
  if (spec) await codec.registerTopic(topic, spec);
  return topic;
}

/** Event times spread over one hour (60 minutes to count), like pings-bench. */
function pingRecord(topic: string, timestampMs: number): OutgoingRecord {
  const pingId = randomUUID();
  return codec.encode(
    topic,
    PingRecordedSchema,
    create(PingRecordedSchema, { id: pingId, timestampMs: BigInt(timestampMs), acceptedAtMs: BigInt(Date.now()) }),
    pingId,
  );
}
const eventTime = () => 1_728_926_331_000 + Math.floor(Math.random() * 3_600_000);

async function preload(topic: string, records: number): Promise<void> {
  const producer = kafka.createProducer();
  await producer.connect();
  for (let done = 0; done < records; done += 20_000) {
    await producer.sendAll(
      topic,
      Array.from({ length: Math.min(20_000, records - done) }, () => pingRecord(topic, eventTime())),
    );
  }
  await producer.disconnect();
}

// ---- 1. producer: the adapter's kafkajs producer vs Java ProducerPerformance -------------------

async function adapterProducer(topic: string, records: readonly OutgoingRecord[]): Promise<number> {
  const producer = kafka.createProducer();
  await producer.connect();
  const t0 = performance.now();
  // 4 callers of 5,000 records: the producer coalesces them into one request per flush.
  let next = 0;
  const caller = async () => {
    while (next < records.length) {
      const chunk = records.slice(next, next + 5_000);
      next += chunk.length;
      await producer.sendAll(topic, chunk);
    }
  };
  await Promise.all([caller(), caller(), caller(), caller()]);
  const perS = Math.round(records.length / ((performance.now() - t0) / 1000));
  await producer.disconnect();
  return perS;
}

async function producerPart(): Promise<void> {
  const n = 100_000 * scale;
  const topic = await setupTopics(`${prefix}prod.`);
  const records = Array.from({ length: n }, () => pingRecord(topic, Date.now()));
  // Java sends value-only records of the same size as key + value of ours.
  const recordSizeBytes = (records[0]?.key.length ?? 36) + (records[0]?.value.length ?? 0);
  for (let round = 1; round <= rounds; round++) {
    const ours = await adapterProducer(topic, records);
    if (javaSkip !== undefined) {
      print({ bench: "producer-vs-java", round, records: n, adapterKafkajsPerS: ours, java: `skipped: ${javaSkip}` });
      continue;
    }
    const java = await producerPerformance({ brokers: brokerList, topic, records: n, recordSizeBytes, lingerMs: 5 });
    print({
      bench: "producer-vs-java",
      round,
      records: n,
      recordSizeBytes,
      adapterKafkajsPerS: ours,
      javaProducerPerformancePerS: java.recordsPerS,
      javaP99LatencyMs: java.p99LatencyMs,
      ratio: ratio(ours, java.recordsPerS),
      settings: "idempotent, acks=all; adapter: 4 callers x 5,000, one request in flight; java: linger.ms=5",
    });
  }
}

// ---- 2. consumer: the adapter's RecordConsumer vs Java ConsumerPerformance ---------------------

async function adapterConsume(topic: string, records: number, groupId: string) {
  const consumer = kafka.createConsumer({ groupId });
  const abort = new AbortController();
  let seen = 0;
  let firstAt = 0;
  const t0 = performance.now();
  const running = consumer.run({
    topics: [topic],
    fromBeginning: true,
    signal: abort.signal,
    onBatch: async (batch) => {
      if (firstAt === 0) firstAt = performance.now();
      seen += batch.records.length;
      if (seen >= records) abort.abort();
      return "consumed";
    },
  });
  const timer = setTimeout(() => abort.abort(), 120_000);
  await running;
  clearTimeout(timer);
  const end = performance.now();
  await consumer.disconnect();
  if (seen < records) throw new Error(`adapter consumer read ${seen} of ${records}`);
  return {
    perSFromStart: Math.round(records / ((end - t0) / 1000)),
    perSFromFirstFetch: Math.round(records / ((end - firstAt) / 1000)),
  };
}

async function consumerPart(topic: string, n: number): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    const ours = await adapterConsume(topic, n, `${id}-consume-${round}`);
    if (javaSkip !== undefined) {
      print({ bench: "consumer-vs-java", round, records: n, adapterKafkajs: ours, java: `skipped: ${javaSkip}` });
      continue;
    }
    const java = await consumerPerformance({ brokers: brokerList, topic, records: n, groupId: `${id}-cperf-${round}` });
    print({
      bench: "consumer-vs-java",
      round,
      records: n,
      adapterKafkajsPerSFromStart: ours.perSFromStart,
      adapterKafkajsPerSFromFirstFetch: ours.perSFromFirstFetch,
      javaConsumerPerformancePerS: java.recordsPerS,
      javaFetchPerS: java.fetchRecordsPerS,
      javaRebalanceMs: java.rebalanceMs,
      ratioFromStart: ratio(ours.perSFromStart, java.recordsPerS),
      ratioSteady: ratio(ours.perSFromFirstFetch, java.fetchRecordsPerS),
    });
  }
}

// ---- 3. counting: ping-counter vs the Kafka Streams EOS-v2 app --------------------------------

interface CountRun {
  readonly fromStartS: number;
  /** From the first visible count to the last record counted. */
  readonly steadyS: number;
  readonly perMinute: Map<number, number>;
  /** Largest VmRSS of the counter process while it counted (ping-counter only). */
  readonly pingCounterMaxRssMiB?: number;
}

async function runPingCounter(topicPrefix: string, n: number, round: number): Promise<CountRun> {
  const namespace = `${topicPrefix}r${round}.`;
  const key = `${namespace}ping:counters`;
  const redis = new Redis(redisUrl);
  const t0 = performance.now();
  const counter = spawnService(
    "dist/processors/ping-counter/main.js",
    { TOPIC_PREFIX: topicPrefix, STATE_NAMESPACE: namespace, PING_COUNTER_GROUP_ID: `${id}-count-${round}` },
    19_600 + round,
  );
  let first = 0;
  const memory = sampleMemory(counter.child.pid ?? 0);
  try {
    await counter.ready;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const total = Number((await redis.hget(key, "total")) ?? 0);
      if (total > 0 && first === 0) first = performance.now();
      if (total >= n) break;
      if (Date.now() > deadline) throw new Error(`ping-counter counted ${total} of ${n} in 600 s`);
      await sleep(20);
    }
    const end = performance.now();
    const fields = await redis.hgetall(key);
    const perMinute = new Map<number, number>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith("minute:")) perMinute.set(Number(field.slice(7)), Number(value));
    }
    // Everything the counter wrote under its namespace (counters, offsets).
    const written = await redis.keys(`${namespace}*`);
    if (written.length > 0) await redis.del(...written);
    return {
      fromStartS: (end - t0) / 1000,
      steadyS: (end - first) / 1000,
      perMinute,
      pingCounterMaxRssMiB: memory.stop()?.rssMiB ?? Number.NaN,
    };
  } finally {
    await stopService(counter.child);
    redis.disconnect();
  }
}

async function runStreams(inputTopic: string, topicPrefix: string, n: number, round: number): Promise<CountRun> {
  const outputTopic = `${topicPrefix}r${round}.streams-counts`;
  await kafka.ensureTopics([{ name: outputTopic, partitions: 1, configs: {} }]);
  // Latest count per minute as read (read_committed) from the output topic.
  const latest = new Map<number, number>();
  let total = 0;
  let first = 0;
  const abort = new AbortController();
  let assigned!: () => void;
  const isAssigned = new Promise<void>((r) => {
    assigned = r;
  });
  const reader = kafka.createConsumer({ groupId: `${id}-streams-out-${round}` });
  const reading = reader.run({
    topics: [outputTopic],
    fromBeginning: true,
    signal: abort.signal,
    onAssignment: () => assigned(),
    onBatch: async (batch) => {
      for (const r of batch.records) {
        if (r.value === null || r.key === null) continue;
        // Key: the minute as decimal text; value: Serdes.Long, 8 bytes big-endian.
        const minute = Number(r.key);
        const count = Number(r.value.readBigInt64BE(0));
        total += count - (latest.get(minute) ?? 0);
        latest.set(minute, count);
      }
      if (total > 0 && first === 0) first = performance.now();
      return "consumed";
    },
  });
  await isAssigned;
  const stateDir = mkdtempSync(join(tmpdir(), `${id}-streams-`));
  const t0 = performance.now();
  const app: ChildProcess = startStreamsApp({
    brokers: brokerList,
    inputTopic,
    outputTopic,
    applicationId: `${topicPrefix}streams-r${round}`,
    stateDir,
  });
  try {
    const deadline = Date.now() + 600_000;
    while (total < n) {
      if (app.exitCode !== null) throw new Error(`Streams app exited with ${app.exitCode}`);
      if (Date.now() > deadline) throw new Error(`Streams app counted ${total} of ${n} in 600 s`);
      await sleep(20);
    }
    const end = performance.now();
    return { fromStartS: (end - t0) / 1000, steadyS: (end - first) / 1000, perMinute: new Map(latest) };
  } finally {
    await stopJava(app);
    abort.abort();
    await reading.catch(() => undefined);
    await reader.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Fails loudly when the two counters disagree on any minute. */
function assertSameCounts(a: Map<number, number>, b: Map<number, number>, n: number): void {
  const minutes = new Set([...a.keys(), ...b.keys()]);
  const diffs = [...minutes].filter((m) => (a.get(m) ?? 0) !== (b.get(m) ?? 0));
  const sumA = [...a.values()].reduce((x, y) => x + y, 0);
  if (diffs.length > 0 || sumA !== n) {
    const sample = diffs.slice(0, 5).map((m) => `minute ${m}: ping-counter ${a.get(m)} vs streams ${b.get(m)}`);
    throw new Error(`COUNTS DISAGREE (${diffs.length} minutes differ, ping-counter total ${sumA} of ${n}): ${sample}`);
  }
}

async function counterPart(n: number): Promise<{ topic: string }> {
  const topicPrefix = `${prefix}count.`;
  const topic = await setupTopics(topicPrefix);
  const t0 = performance.now();
  await preload(topic, n);
  print({ bench: "preload", topic, records: n, seconds: +((performance.now() - t0) / 1000).toFixed(1) });
  if (!parts.has("counter")) return { topic };
  if (javaSkip === undefined) print({ bench: "streams-reference-build", ...buildReferenceApp() });
  for (let round = 1; round <= rounds; round++) {
    const ours = await runPingCounter(topicPrefix, n, round);
    if (javaSkip !== undefined) {
      print({ bench: "counter-vs-streams", round, records: n, streams: `skipped: ${javaSkip}` });
      continue;
    }
    const streams = await runStreams(topic, topicPrefix, n, round);
    assertSameCounts(ours.perMinute, streams.perMinute, n);
    print({
      bench: "counter-vs-streams",
      round,
      records: n,
      minutes: ours.perMinute.size,
      countsAgree: true,
      pingCounterPerSFromStart: Math.round(n / ours.fromStartS),
      pingCounterPerSSteady: Math.round(n / ours.steadyS),
      pingCounterSeconds: +ours.fromStartS.toFixed(2),
      pingCounterMaxRssMiB: ours.pingCounterMaxRssMiB,
      streamsPerSFromStart: Math.round(n / streams.fromStartS),
      streamsPerSSteady: Math.round(n / streams.steadyS),
      streamsSeconds: +streams.fromStartS.toFixed(2),
      ratioFromStart: ratio(streams.fromStartS, ours.fromStartS),
      ratioSteady: ratio(streams.steadyS, ours.steadyS),
      note: "steady = first visible count (Redis total / committed output record) to the last record counted",
    });
  }
  return { topic };
}

// ---- 4. Ping: the gateway (Connect JSON) vs a bare node:http + kafkajs server ----------------

async function autocannon(url: string, connections: number, seconds: number) {
  const bin = join(root, "node_modules", "autocannon", "autocannon.js");
  const body = JSON.stringify({ timestamp_ms: Date.now() });
  const child = spawn(
    process.execPath,
    [bin, "-j", "-c", String(connections), "-d", String(seconds), "-m", "POST"].concat([
      "-H",
      "content-type=application/json",
      "-b",
      body,
      url,
    ]),
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await new Promise((r) => child.once("exit", r));
  const report = JSON.parse(out) as {
    requests: { total: number };
    duration: number;
    non2xx: number;
    errors: number;
    latency: { p50: number; p99: number };
  };
  if (report.non2xx > 0 || report.errors > 0)
    throw new Error(`${url}: ${report.non2xx} non-2xx answers and ${report.errors} errors under load`);
  return {
    okPerS: Math.round(report.requests.total / report.duration),
    p50Ms: report.latency.p50,
    p99Ms: report.latency.p99,
  };
}

function startBare(topic: string, schemaId: number, mode: string, port: number) {
  const child = spawn(process.execPath, [join(root, "dist", "bench", "reference", "bare-ping-server.js")], {
    env: { ...process.env, PORT: String(port), PINGS_TOPIC: topic, SCHEMA_ID: String(schemaId), BARE_MODE: mode },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`bare-ping-server exited with ${code}`)));
  });
  return { child, ready };
}

/** The gateway, started again when it exits at start: on a loaded broker, topics created a moment
 * earlier can still answer "This server does not host this topic-partition". */
async function startGateway(topicPrefix: string, port: number, env: Record<string, string> = {}) {
  for (let attempt = 1; ; attempt++) {
    const gateway = spawnService("dist/producers/gateway/main.js", { TOPIC_PREFIX: topicPrefix, ...env }, port);
    try {
      await gateway.ready;
      return gateway;
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(2_000);
    }
  }
}

async function pingPart(): Promise<void> {
  const connections = 64;
  const seconds = Number(process.env.BENCH_PING_S ?? 8);
  const topicPrefix = `${prefix}gw.`;
  const topic = await setupTopics(topicPrefix);
  const schemaId = pingRecord(topic, Date.now()).value.readUInt32BE(1);
  // The default gateway (GATEWAY_PRODUCE_LINGER_MS=1) and one without a linger: both coalesce
  // calls that arrive while a produce request is in flight; the linger also gathers the first ones.
  const gateway = await startGateway(topicPrefix, 19_640);
  const noLinger = await startGateway(topicPrefix, 19_643, { GATEWAY_PRODUCE_LINGER_MS: "0" });
  const perRequest = startBare(topic, schemaId, "per-request", 19_641);
  const coalesce = startBare(topic, schemaId, "coalesce", 19_642);
  try {
    await Promise.all([perRequest.ready, coalesce.ready]);
    const memory = sampleMemory(gateway.child.pid ?? 0);
    const url = (port: number) => `http://127.0.0.1:${port}/ping.v1.PingService/Ping`;
    for (let round = 1; round <= rounds; round++) {
      const gw = await autocannon(url(19_640), connections, seconds);
      const gwNoLinger = await autocannon(url(19_643), connections, seconds);
      const grpc = await grpcPingLoad("http://127.0.0.1:19640", connections, seconds);
      const bare = await autocannon(url(19_641), connections, seconds);
      const bareCoalesce = await autocannon(url(19_642), connections, seconds);
      print({
        bench: "gateway-ping-vs-bare-node-http",
        round,
        connections,
        seconds,
        gatewayConnectJson: gw,
        gatewayConnectJsonLinger0: gwNoLinger,
        gatewayGrpc: grpc,
        barePerRequestSend: bare,
        bareCoalescingSend: bareCoalesce,
        ratioVsPerRequest: ratio(gw.okPerS, bare.okPerS),
        ratioVsCoalescing: ratio(gw.okPerS, bareCoalesce.okPerS),
        ratioGrpcVsConnect: ratio(grpc.okPerS, gw.okPerS),
        ratioGrpcVsCoalescing: ratio(grpc.okPerS, bareCoalesce.okPerS),
      });
    }
    print({ bench: "gateway-memory-under-ping-load", maxRssMiB: memory.stop()?.rssMiB });
  } finally {
    await stopService(gateway.child);
    await stopService(noLinger.child);
    await stopService(perRequest.child);
    await stopService(coalesce.child);
  }
}

// ---- 5. batch ingest: PingBatch through the gateway vs Java ProducerPerformance ---------------

async function batchPart(): Promise<void> {
  const seconds = Number(process.env.BENCH_PING_S ?? 8);
  const pingsPerCall = Number(process.env.BENCH_BATCH_PINGS ?? 500);
  const concurrency = 8;
  const topicPrefix = `${prefix}batch.`;
  const topic = await setupTopics(topicPrefix);
  const sample = pingRecord(topic, Date.now());
  const recordSizeBytes = sample.key.length + sample.value.length;
  const gateway = await startGateway(topicPrefix, 19_644);
  try {
    // Warm-up: the first produce to a fresh topic waits for metadata and leaders.
    const warm = await batchPingLoad("http://127.0.0.1:19644", 1, 2, pingsPerCall);
    print({ bench: "ping-batch-warm-up", ...warm });
    const memory = sampleMemory(gateway.child.pid ?? 0);
    for (let round = 1; round <= rounds; round++) {
      const ours = await batchPingLoad("http://127.0.0.1:19644", concurrency, seconds, pingsPerCall);
      if (javaSkip !== undefined) {
        print({ bench: "ping-batch-vs-java", round, gatewayPingBatch: ours, java: `skipped: ${javaSkip}` });
        continue;
      }
      const java = await producerPerformance({
        brokers: brokerList,
        topic,
        records: 100_000 * scale,
        recordSizeBytes,
        lingerMs: 5,
      });
      print({
        bench: "ping-batch-vs-java",
        round,
        seconds,
        pingsPerCall,
        concurrency,
        gatewayPingBatch: ours,
        javaProducerPerformancePerS: java.recordsPerS,
        ratio: ratio(ours.pingsPerS, java.recordsPerS),
        settings: "PingBatch: Connect binary over HTTP/1.1, 8 calls in flight; java: idempotent, acks=all, linger.ms=5",
      });
    }
    print({ bench: "gateway-memory-under-batch-load", maxRssMiB: memory.stop()?.rssMiB });
  } finally {
    await stopService(gateway.child);
  }
}

print({ bench: "machine", ...machineInfo(), rounds, scale, java: javaSkip ?? "ok" });
if (javaSkip !== undefined) process.stderr.write(`[bench-reference] Java references skipped: ${javaSkip}\n`);
try {
  if (parts.has("producer")) await producerPart();
  const countRecords = 200_000 * scale;
  if (parts.has("counter") || parts.has("consumer")) {
    const { topic } = await counterPart(countRecords);
    if (parts.has("consumer")) await consumerPart(topic, countRecords);
  }
  if (parts.has("ping")) await pingPart();
  if (parts.has("batch")) await batchPart();
} finally {
  const topics = (await kafka.listTopics()).filter((t) => t.startsWith(prefix));
  await kafka.deleteTopics(topics);
  await kafka.close();
}
process.exit(0);
