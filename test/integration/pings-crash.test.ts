import { fromBinary } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPingLoad } from "../../bench/ping-load.js";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { PING_COUNTER, pingCountersKey } from "../../processors/ping-counter/index.js";
import { decodeWire } from "../../runtime/serde/wire-format.js";
import { offsetsKey } from "../../runtime/state/redis-state-store.js";
import { createDatabase, dropDatabase, queryOne } from "../helpers/databases.js";
import { readTopic } from "../helpers/read-topic.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { stackEnv, uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

const PINGS = Number(process.env.CRASH_TEST_PINGS ?? 100_000);
const KILLS = 5;
const id = uniqueId("crash");
const prefix = `${id}.`;
const namespace = `${id}:`;
const platform = new TestPlatform(prefix);
const redis = new Redis(stackEnv.REDIS_URL);
let databaseUrl = "";

beforeAll(async () => {
  await platform.createTopics();
  databaseUrl = await createDatabase(id);
});
afterAll(async () => {
  await platform.close();
  redis.disconnect();
  await dropDatabase(id);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomBetween = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

describe("exactly-once ping counts under kill -9", () => {
  it(`counts ${PINGS} pings exactly while the counter is killed ${KILLS}+ times`, { timeout: 900_000 }, async () => {
    const env = {
      TOPIC_PREFIX: prefix,
      STATE_NAMESPACE: namespace,
      DATABASE_URL: databaseUrl,
      PING_COUNTER_GROUP_ID: `${id}-counter`,
      PING_COUNTER_FLUSH_INTERVAL_MS: "200",
      PINGS_SINK_GROUP_ID: `${id}-sink`,
      LOG_LEVEL: "warn",
    };
    const gateway = await ServiceProcess.start("dist/producers/gateway/main.js", env);
    const counter = await ServiceProcess.start("dist/processors/ping-counter/main.js", env);
    const sink = await ServiceProcess.start("dist/sinks/pings/main.js", env);
    const baseMinute = 28_815_000;
    const load = runPingLoad({
      baseUrl: `http://127.0.0.1:${gateway.port}`,
      total: PINGS,
      concurrency: 32,
      // 40 event-time minutes, so many minute fields are exercised.
      timestampOf: () => baseMinute * 60_000 + Math.floor(Math.random() * 40 * 60_000),
      maxDurationMs: 600_000,
    });
    let loadDone = false;
    void load.finally(() => {
      loadDone = true;
    });

    // Chaos: kill -9 at random moments; for part of the run a second instance shares the group.
    const kills: string[] = [];
    let second: ServiceProcess | undefined;
    for (let round = 0; round < KILLS + 1; round++) {
      await sleep(randomBetween(500, loadDone ? 1_500 : 3_500));
      if (round === 1) second = await ServiceProcess.start("dist/processors/ping-counter/main.js", env);
      await counter.kill9();
      kills.push(`counter@${Date.now()}`);
      if (round % 2 === 0) {
        await sink.kill9();
        kills.push(`sink@${Date.now()}`);
      }
      if (round === 3 && second !== undefined) {
        await second.kill9();
        kills.push(`second@${Date.now()}`);
        second = undefined;
      }
      await sleep(randomBetween(100, 1_000));
      await counter.spawn(false);
      if (!sink.running) await sink.spawn(false);
    }
    const result = await load;
    await second?.stop();
    expect(result.failed, result.firstError).toBe(0);
    expect(result.acked).toBe(PINGS);
    expect(kills.filter((k) => k.startsWith("counter")).length).toBeGreaterThanOrEqual(KILLS);

    // Let the survivors catch up with the topic's end offsets.
    const topic = platform.topic("pings");
    const ends = await platform.kafka.partitionOffsets(topic);
    const endSum = ends.reduce((n, e) => n + e.high, 0);
    expect(endSum).toBe(PINGS);
    const counterOffsets = async () =>
      Object.values(await redis.hgetall(offsetsKey(namespace, PING_COUNTER))).reduce((n, v) => n + Number(v), 0);
    await waitUntil(async () => (await counterOffsets()) === endSum, {
      timeoutMs: 180_000,
      describe: async () =>
        `counter offsets ${await counterOffsets()} of ${endSum}; ${counter.output.slice(-5).join("")}`,
    });
    const sinkOffsets = async () =>
      Number(
        (await queryOne<{ n: string }>(databaseUrl, "SELECT coalesce(sum(next_offset), 0) AS n FROM tributary_offsets"))
          ?.n ?? 0,
      );
    await waitUntil(async () => (await sinkOffsets()) === endSum, {
      timeoutMs: 180_000,
      describe: async () => `sink offsets ${await sinkOffsets()} of ${endSum}; ${sink.output.slice(-5).join("")}`,
    });

    const counters = await redis.hgetall(pingCountersKey(namespace));
    expect(Number(counters.total)).toBe(result.acked);

    const recount = new Map<string, number>();
    for (const record of await readTopic(platform.kafka, topic)) {
      const ping = fromBinary(PingRecordedSchema, decodeWire(record.value ?? Buffer.alloc(0)).payload);
      const field = `minute:${Math.floor(Number(ping.timestampMs) / 60_000)}`;
      recount.set(field, (recount.get(field) ?? 0) + 1);
    }
    const minuteFields = Object.fromEntries(Object.entries(counters).filter(([k]) => k.startsWith("minute:")));
    expect(minuteFields).toEqual(Object.fromEntries([...recount].map(([k, v]) => [k, String(v)])));

    const rows = await queryOne<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM pings");
    expect(Number(rows?.n)).toBe(result.acked);

    await Promise.all([gateway.stop(), counter.stop(), sink.stop()]);
    console.log(JSON.stringify({ pings: PINGS, acked: result.acked, loadMs: result.elapsedMs, kills }));
  });
});
