import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPingLoad } from "../../bench/ping-load.js";
import { PING_COUNTER } from "../../processors/ping-counter/index.js";
import { offsetField, offsetsKey } from "../../runtime/state/redis-state-store.js";
import { createDatabase, dropDatabase } from "../helpers/databases.js";
import { PrivateRedis } from "../helpers/private-redis.js";
import { freePort, ServiceProcess } from "../helpers/service-process.js";
import { uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

// kill -9 of a test-owned Redis (no persistence) after every ping was counted and the load has
// ended: no record arrives again, so no commit of the ping counter ever meets a compare-and-set
// conflict. The counter must still notice that its store no longer holds what it committed (the
// core's periodic store check) and rebuild the counts from the log, with no new pings.
const id = uniqueId("redisidle");
const platform = new TestPlatform(`${id}.`);
let privateRedis: PrivateRedis | undefined;
let redisPort = 0;
const services: ServiceProcess[] = [];
const IDLE_WARNING = "stored offsets changed under an idle partition";

beforeAll(async () => {
  await platform.createTopics();
  const databaseUrl = await createDatabase(id);
  privateRedis = await PrivateRedis.start();
  redisPort = privateRedis.port;
  const env = {
    TOPIC_PREFIX: `${id}.`,
    STATE_NAMESPACE: `${id}:`,
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PING_COUNTER_GROUP_ID: `${id}-counter`,
    PINGS_SINK_GROUP_ID: `${id}-sink`,
  };
  for (const entry of [
    "dist/producers/gateway/main.js",
    "dist/processors/ping-counter/main.js",
    "dist/sinks/pings/main.js",
  ])
    services.push(await ServiceProcess.start(entry, env));
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await privateRedis?.close();
  await platform.close();
  await dropDatabase(id);
});

/** The counter's stored offsets against the log, and its last log lines. */
async function diagnostics(): Promise<string> {
  const lines: string[] = [];
  const redis = new Redis(redisPort, "127.0.0.1", { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    const stored = await redis.hgetall(offsetsKey(`${id}:`, PING_COUNTER));
    for (const end of await platform.kafka.partitionOffsets(platform.topic("pings"))) {
      const next = stored[offsetField(platform.topic("pings"), end.partition)];
      lines.push(`partition ${end.partition}: stored next ${next ?? "none"}, log ${end.low}..${end.high}`);
    }
  } catch (err) {
    lines.push(`offsets unreadable: ${String(err)}`);
  } finally {
    redis.disconnect();
  }
  const counter = services[1];
  lines.push(`ping-counter running: ${counter?.running}; last log lines:`);
  lines.push(...(counter?.output.join("").trimEnd().split("\n").slice(-30) ?? []));
  return lines.join("\n");
}

describe("Redis kill -9 after the load ended (every partition idle)", () => {
  it("PingCount returns to exactly the acked count without any new ping", { timeout: 180_000 }, async () => {
    const url = `http://127.0.0.1:${services[0]?.port}`;
    const count = async () => {
      const response = await fetch(`${url}/ping.v1.PingService/PingCount`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const body = (await response.json()) as { total?: string; source?: string };
      return { total: Number(body.total ?? 0), source: body.source ?? "?" };
    };
    const minute0 = 29_100_000;
    const result = await runPingLoad({
      baseUrl: url,
      total: 600,
      concurrency: 4,
      ratePerS: 200,
      timestampOf: (i) => (minute0 + (i % 3)) * 60_000,
      maxDurationMs: 30_000,
    });
    expect(result.failed).toBe(0);
    const counted = async () => {
      const c = await count();
      return c.total === result.acked && c.source === "dragonfly";
    };
    const describeState = async () =>
      `PingCount ${JSON.stringify(await count())}, acked ${result.acked}\n${await diagnostics()}`;
    await waitUntil(counted, { timeoutMs: 30_000, describe: describeState });
    const ends = async () =>
      (await platform.kafka.partitionOffsets(platform.topic("pings"))).sort((a, b) => a.partition - b.partition);
    const endsBefore = await ends();
    const output = () => services[1]?.output.join("") ?? "";
    expect(output()).not.toContain(IDLE_WARNING);

    privateRedis?.kill9();
    await new Promise((r) => setTimeout(r, 1_000));
    await privateRedis?.restart();
    const restartedAtMs = Date.now();
    const afterRestart = await count();
    await waitUntil(counted, { timeoutMs: 60_000, describe: describeState });
    const rebuiltAfterMs = Date.now() - restartedAtMs;

    const endsAfter = await ends();
    const redis = new Redis(redisPort, "127.0.0.1");
    try {
      const stored = await redis.hgetall(offsetsKey(`${id}:`, PING_COUNTER));
      const reloads = output().split("reloading partition state").length - 1;
      console.log(
        `redis idle chaos: acked ${result.acked}; right after the restart PingCount ${JSON.stringify(afterRestart)}; ` +
          `rebuilt to ${result.acked} ${rebuiltAfterMs} ms after the restart; partitions ${endsAfter.length}, reloads ${reloads}`,
      );
      // No record arrived: the rebuild came from the store check, not from a commit conflict.
      expect(endsAfter).toEqual(endsBefore);
      expect(output()).toContain(IDLE_WARNING);
      for (const end of endsAfter) {
        if (end.high > end.low)
          expect(Number(stored[offsetField(platform.topic("pings"), end.partition)])).toBe(end.high);
      }
      expect(await count()).toEqual({ total: result.acked, source: "dragonfly" });
    } finally {
      redis.disconnect();
    }
  });
});
