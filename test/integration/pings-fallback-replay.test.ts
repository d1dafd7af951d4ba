import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPingLoad } from "../../bench/ping-load.js";
import { pingCountersKey } from "../../processors/ping-counter/index.js";
import { createDatabase, dropDatabase, queryOne } from "../helpers/databases.js";
import { PrivateRedis } from "../helpers/private-redis.js";
import { runCli } from "../helpers/run-command.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

const id = uniqueId("fb");
const prefix = `${id}.`;
const namespace = `${id}:`;
const platform = new TestPlatform(prefix);
let databaseUrl = "";
let privateRedis: PrivateRedis | undefined;
let redisUrl = "";
const services: ServiceProcess[] = [];

beforeAll(async () => {
  await platform.createTopics();
  databaseUrl = await createDatabase(id);
  privateRedis = await PrivateRedis.start({ appendOnly: true });
  redisUrl = privateRedis.url;
  const env = {
    TOPIC_PREFIX: prefix,
    STATE_NAMESPACE: namespace,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    PING_COUNTER_GROUP_ID: `${id}-counter`,
    PING_COUNTER_FLUSH_INTERVAL_MS: "100",
    PINGS_SINK_GROUP_ID: `${id}-sink`,
  };
  services.push(await ServiceProcess.start("dist/producers/gateway/main.js", env));
  services.push(await ServiceProcess.start("dist/processors/ping-counter/main.js", env));
  services.push(await ServiceProcess.start("dist/sinks/pings/main.js", env));
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await privateRedis?.close();
  await platform.close();
  await dropDatabase(id);
});

const minute0 = 28_000_000;
const pings = 600;

describe("PingCount fallback and replay", () => {
  it("answers from Dragonfly, and from Postgres (saying so) once Redis is stopped", async () => {
    const gateway = services[0];
    if (gateway === undefined) throw new Error("gateway missing");
    const url = `http://127.0.0.1:${gateway.port}`;
    // 3 event-time minutes: 200 pings each.
    const load = await runPingLoad({
      baseUrl: url,
      total: pings,
      concurrency: 8,
      timestampOf: (i) => (minute0 + (i % 3)) * 60_000 + 1_000,
    });
    expect(load.acked).toBe(pings);
    const count = async (body: string) => {
      const response = await fetch(`${url}/ping.v1.PingService/PingCount`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      return (await response.json()) as {
        total?: string;
        source: string;
        minutes?: { minute: string; count: string }[];
      };
    };
    await waitUntil(async () => (await count("{}")).total === String(pings), {
      timeoutMs: 20_000,
      describe: async () => JSON.stringify(await count("{}")),
    });
    const range = JSON.stringify({ from_ms: minute0 * 60_000, to_ms: (minute0 + 3) * 60_000 });
    const fromDragonfly = await count(range);
    expect(fromDragonfly.source).toBe("dragonfly");
    expect(fromDragonfly.minutes).toEqual([0, 1, 2].map((i) => ({ minute: String(minute0 + i), count: "200" })));

    await waitUntil(
      async () => Number((await queryOne<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM pings"))?.n) === pings,
      {
        timeoutMs: 20_000,
        describe: () => "sink did not write every ping",
      },
    );
    privateRedis?.kill9();
    await new Promise((r) => setTimeout(r, 200));
    const fromPostgres = await count(range);
    expect(fromPostgres.source).toBe("postgres");
    expect(fromPostgres.total).toBe(String(pings));
    expect(fromPostgres.minutes).toEqual(fromDragonfly.minutes);
    await privateRedis?.restart();
    await waitUntil(async () => (await count("{}")).source === "dragonfly", {
      timeoutMs: 15_000,
      describe: () => "dragonfly not back",
    });
  });

  it("replays from earliest into a fresh namespace, switches atomically, twice identically", async () => {
    const redis = new Redis(redisUrl);
    redis.on("error", () => undefined);
    try {
      const key = pingCountersKey(namespace);
      const live = await redis.hgetall(key);
      expect(live.total).toBe(String(pings));
      const env = { TOPIC_PREFIX: prefix, STATE_NAMESPACE: namespace, REDIS_URL: redisUrl };
      const first = await runCli(["replay", "ping-counter", "--from", "earliest"], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/replay ping-counter \[#+\] 100\.0% 600\/600 records/);
      const afterFirst = await redis.hgetall(key);
      expect(afterFirst).toEqual(live);
      const second = await runCli(["replay", "ping-counter", "--from", "earliest"], env);
      expect(second.code, second.stderr).toBe(0);
      expect(await redis.hgetall(key)).toEqual(afterFirst);
      // Nothing of the replay namespaces is left behind.
      expect(await redis.keys(`${namespace}replay:*`)).toEqual([]);
      // The live processor keeps counting on top of the switched state.
      const gateway = services[0];
      if (gateway === undefined) throw new Error("gateway missing");
      await runPingLoad({
        baseUrl: `http://127.0.0.1:${gateway.port}`,
        total: 10,
        concurrency: 2,
        timestampOf: () => minute0 * 60_000,
      });
      await waitUntil(async () => (await redis.hget(key, "total")) === String(pings + 10), {
        timeoutMs: 20_000,
        describe: async () => JSON.stringify(await redis.hgetall(key)),
      });
    } finally {
      redis.disconnect();
    }
  });

  it("replays the Postgres projection into a fresh schema and swaps it in one transaction", async () => {
    const countRows = async () =>
      Number((await queryOne<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM pings"))?.n);
    const offsetsSum = async () =>
      Number(
        (
          await queryOne<{ n: string }>(
            databaseUrl,
            "SELECT coalesce(sum(next_offset), 0) AS n FROM tributary_offsets WHERE consumer = $1",
            [`${id}-sink`],
          )
        )?.n,
      );
    await waitUntil(async () => (await countRows()) === pings + 10, {
      timeoutMs: 20_000,
      describe: () => "sink behind",
    });
    const before = await queryOne<{ digest: string }>(
      databaseUrl,
      "SELECT md5(string_agg(id::text || pinged_at::text, ',' ORDER BY id)) AS digest FROM pings",
    );
    const offsetsBefore = await offsetsSum();
    const env = { TOPIC_PREFIX: prefix, DATABASE_URL: databaseUrl, PINGS_SINK_GROUP_ID: `${id}-sink` };
    const replay = await runCli(["replay", "pings-sink", "--from", "earliest"], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toMatch(/replay pings-sink \[#+\] 100\.0% 610\/610 records/);
    const after = await queryOne<{ digest: string }>(
      databaseUrl,
      "SELECT md5(string_agg(id::text || pinged_at::text, ',' ORDER BY id)) AS digest FROM pings",
    );
    expect(after?.digest).toBe(before?.digest);
    expect(await offsetsSum()).toBe(offsetsBefore);
    const leftovers = await queryOne<{ n: string }>(
      databaseUrl,
      "SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'replay_%'",
    );
    expect(Number(leftovers?.n)).toBe(0);
    // The live sink keeps writing on top of the swapped rows.
    const gateway = services[0];
    if (gateway === undefined) throw new Error("gateway missing");
    await runPingLoad({
      baseUrl: `http://127.0.0.1:${gateway.port}`,
      total: 5,
      concurrency: 1,
      timestampOf: () => minute0 * 60_000,
    });
    await waitUntil(async () => (await countRows()) === pings + 15, {
      timeoutMs: 20_000,
      describe: async () => `rows ${await countRows()}`,
    });
  });
});
