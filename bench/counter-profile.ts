// Where ping-counter's time goes (issue 14, item 4): preloads BENCH_RECORDS (default 100,000)
// `pings` records under a fresh topic prefix, runs a fresh ping-counter from dist/ with
// `node --cpu-prof` until it counted them all, and prints counted/s plus the top self-time
// functions (% of all samples, idle included; `busyPct` = % of non-idle samples). Stack up:
//   node dist/bench/counter-profile.js      (profile kept in $TMPDIR/tributary-counter-prof-*)
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import { PingRecordedSchema } from "../gen/ping/v1/ping_recorded_pb.js";
import { topicCatalog } from "../runtime/catalog/catalog.js";
import { KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../runtime/observability/logger.js";
import { topicDeclaration } from "../runtime/platform.js";
import { SchemaRegistryClient } from "../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../runtime/serde/topic-codec.js";
import { sampleMemory } from "./process-memory.js";
import { registryNodeFlags } from "./spawn-service.js";

const root = join(import.meta.dirname, "..", "..");
const records = Number(process.env.BENCH_RECORDS ?? 100_000);
const id = `prof${Date.now().toString(36)}`;
const prefix = `${id}.`;
const kafka = new KafkaAdapter({
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(","),
  clientId: "counter-profile",
  logger: createLogger("bench", "warn"),
});
const codec = new TopicCodec(
  new SchemaRegistryClient(process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7"),
  [PingRecordedSchema],
);
const load1 = () => Math.round(loadavg()[0] * 100) / 100;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self samples per function (name + file:line), biggest first. */
function topSelf(profilePath: string, top: number) {
  const profile = JSON.parse(readFileSync(profilePath, "utf8")) as { nodes: ProfileNode[] };
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${basename(url)}:${lineNumber + 1}`;
    const name = `${functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    total += hits;
    if (functionName === "(idle)") idle += hits;
  }
  const pct = (n: number, of: number) => Math.round((n / of) * 1000) / 10;
  return {
    samples: total,
    idlePct: pct(idle, total),
    top: [...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, n]) => ({
        name,
        pct: pct(n, total),
        busyPct: name.startsWith("(idle)") ? 0 : pct(n, total - idle),
      })),
  };
}

await kafka.ensureTopics(
  topicCatalog.filter((t) => t.name.startsWith("pings")).map((t) => topicDeclaration(prefix, t)),
);
const topic = `${prefix}pings`;
const spec = topicCatalog.find((t) => t.name === "pings");
if (spec) await codec.registerTopic(topic, spec);
const producer = kafka.createProducer();
await producer.connect();
// A topic created a moment ago can still answer "does not host this topic-partition": retry.
const sendRetrying = async (batch: Parameters<typeof producer.sendAll>[1]) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await producer.sendAll(topic, batch);
    } catch (err) {
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
};
for (let done = 0; done < records; done += 20_000) {
  await sendRetrying(
    Array.from({ length: Math.min(20_000, records - done) }, () => {
      const pingId = randomUUID();
      const timestampMs = BigInt(1_728_926_331_000 + Math.floor(Math.random() * 3_600_000));
      return codec.encode(
        topic,
        PingRecordedSchema,
        create(PingRecordedSchema, { id: pingId, timestampMs, acceptedAtMs: BigInt(Date.now()) }),
        pingId,
      );
    }),
  );
}
await producer.disconnect();

const profileDir = mkdtempSync(join(tmpdir(), "tributary-counter-prof-"));
const namespace = `${prefix}`;
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:16379");
const t0 = performance.now();
const child = spawn(
  process.execPath,
  [
    ...registryNodeFlags("dist/processors/ping-counter/main.js"),
    "--cpu-prof",
    "--cpu-prof-dir",
    profileDir,
    join(root, "dist/processors/ping-counter/main.js"),
  ],
  {
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      HTTP_PORT: "19699",
      TOPIC_PREFIX: prefix,
      STATE_NAMESPACE: namespace,
      PING_COUNTER_GROUP_ID: `${id}-counter`,
    },
    stdio: ["ignore", "ignore", "inherit"],
  },
);
const memory = sampleMemory(child.pid ?? 0);
let firstAt = 0;
for (;;) {
  const total = Number((await redis.hget(`${namespace}ping:counters`, "total")) ?? 0);
  if (total > 0 && firstAt === 0) firstAt = performance.now();
  if (total >= records) break;
  if (child.exitCode !== null) throw new Error(`ping-counter exited with ${child.exitCode}`);
  await new Promise((r) => setTimeout(r, 20));
}
const endAt = performance.now();
const peak = memory.stop();
const exited = new Promise((r) => child.once("exit", r));
child.kill("SIGTERM");
await exited;
const keys = await redis.keys(`${namespace}*`);
if (keys.length > 0) await redis.del(...keys);
redis.disconnect();
await kafka.deleteTopics((await kafka.listTopics()).filter((t) => t.startsWith(prefix)));
await kafka.close();
const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
process.stdout.write(
  `${JSON.stringify({
    bench: "counter-profile",
    records,
    countedPerSFromStart: Math.round(records / ((endAt - t0) / 1000)),
    countedPerSSteady: Math.round(records / ((endAt - firstAt) / 1000)),
    maxRssMiB: peak?.rssMiB,
    profile: file === undefined ? null : join(profileDir, file),
    ...(file === undefined ? {} : topSelf(join(profileDir, file), 25)),
    loadAvg1m: load1(),
  })}\n`,
);
process.exit(0);
