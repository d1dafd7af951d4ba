import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPingLoad } from "../../bench/ping-load.js";
import { queryOne } from "../helpers/databases.js";
import { PingCounterStack } from "../helpers/ping-counter-stack.js";
import { runCli } from "../helpers/run-command.js";
import { waitUntil } from "../helpers/wait-until.js";

// kill -9 of a test-owned Redis (the Dragonfly stand-in, no persistence: everything is lost)
// under ping load: PingCount answers from Postgres meanwhile, and after the restart the counts
// are rebuilt exactly from the log (the counter finds no offsets and re-reads; then
// `tributary replay ping-counter` rebuilds the same hash again).
let stack: PingCounterStack;

beforeAll(async () => {
  stack = await PingCounterStack.start("rediskill", { PING_COUNTER_FLUSH_INTERVAL_MS: "100" });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe("Redis kill -9 under load", () => {
  it("PingCount falls back to Postgres; counts are rebuilt exactly after the restart", {
    timeout: 300_000,
  }, async () => {
    const minute0 = 29_000_000;
    const total = 3_000;
    const load = runPingLoad({
      baseUrl: stack.gatewayUrl,
      total,
      concurrency: 8,
      ratePerS: 300,
      timestampOf: (i) => (minute0 + (i % 5)) * 60_000,
      maxDurationMs: 120_000,
    });
    await new Promise((r) => setTimeout(r, 3_000));
    stack.redis.kill9();
    const killedAtMs = Date.now();
    const fallback: { total: number; source: string }[] = [];
    while (Date.now() - killedAtMs < 4_000) {
      fallback.push(await stack.pingCount());
      await new Promise((r) => setTimeout(r, 500));
    }
    await stack.redis.restart();
    const result = await load;
    const rows = async () =>
      Number((await queryOne<{ n: string }>(stack.databaseUrl, "SELECT count(*) AS n FROM pings"))?.n);
    await waitUntil(
      async () => {
        const c = await stack.pingCount();
        return c.total === result.acked && c.source === "dragonfly";
      },
      {
        timeoutMs: 120_000,
        describe: async () =>
          `PingCount ${JSON.stringify(await stack.pingCount())}, acked ${result.acked}\n${await stack.diagnostics()}`,
      },
    );
    const rebuiltBySelf = await stack.counters();
    const replay = await runCli(["replay", "ping-counter", "--from", "earliest"], {
      TOPIC_PREFIX: `${stack.id}.`,
      STATE_NAMESPACE: stack.namespace,
      REDIS_URL: stack.redis.url,
    });
    expect(replay.code, replay.stderr).toBe(0);
    const replayed = await stack.counters();
    const sinkRows = await rows();
    // Each partition reloads about once after the restart; many more is a conflict ping-pong.
    const reloads = stack.partitionReloads();
    console.log(
      `redis chaos: sent ${total}, acked ${result.acked}, failed ${result.failed}; during the outage PingCount answered ${JSON.stringify(fallback)}; after restart counted ${rebuiltBySelf.total} (self-rebuild) / ${replayed.total} (replay), sink rows ${sinkRows}, expected ${result.acked}; ping-counter partition reloads ${reloads}`,
    );
    expect(result.failed).toBe(0);
    expect(fallback.every((f) => f.source === "postgres")).toBe(true);
    expect(Number(rebuiltBySelf.total)).toBe(result.acked);
    expect(replayed).toEqual(rebuiltBySelf);
    expect(sinkRows).toBe(result.acked);
  });
});
