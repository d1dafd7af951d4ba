import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPingLoad } from "../../bench/ping-load.js";
import { offsetField } from "../../runtime/state/redis-state-store.js";
import { PingCounterStack } from "../helpers/ping-counter-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// kill -9 of a test-owned Redis (no persistence) after every ping was counted and the load has
// ended: no record arrives again, so no commit of the ping counter ever meets a compare-and-set
// conflict. The counter must still notice that its store no longer holds what it committed (the
// core's periodic store check) and rebuild the counts from the log, with no new pings.
const IDLE_WARNING = "stored offsets changed under an idle partition";
let stack: PingCounterStack;

beforeAll(async () => {
  stack = await PingCounterStack.start("redisidle");
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("Redis kill -9 after the load ended (every partition idle)", () => {
  it("PingCount returns to exactly the acked count without any new ping", { timeout: 180_000 }, async () => {
    const minute0 = 29_100_000;
    const result = await runPingLoad({
      baseUrl: stack.gatewayUrl,
      total: 600,
      concurrency: 4,
      ratePerS: 200,
      timestampOf: (i) => (minute0 + (i % 3)) * 60_000,
      maxDurationMs: 30_000,
    });
    expect(result.failed).toBe(0);
    const counted = async () => {
      const c = await stack.pingCount();
      return c.total === result.acked && c.source === "dragonfly";
    };
    const describeState = async () =>
      `PingCount ${JSON.stringify(await stack.pingCount())}, acked ${result.acked}\n${await stack.diagnostics()}`;
    await waitUntil(counted, { timeoutMs: 30_000, describe: describeState });
    const ends = async () =>
      (await stack.platform.kafka.partitionOffsets(stack.pingsTopic)).sort((a, b) => a.partition - b.partition);
    const endsBefore = await ends();
    expect(stack.counterOutput()).not.toContain(IDLE_WARNING);

    stack.redis.kill9();
    await new Promise((r) => setTimeout(r, 1_000));
    await stack.redis.restart();
    const restartedAtMs = Date.now();
    const afterRestart = await stack.pingCount();
    await waitUntil(counted, { timeoutMs: 60_000, describe: describeState });
    const rebuiltAfterMs = Date.now() - restartedAtMs;

    const endsAfter = await ends();
    const stored = await stack.storedOffsets();
    console.log(
      `redis idle chaos: acked ${result.acked}; right after the restart PingCount ${JSON.stringify(afterRestart)}; ` +
        `rebuilt to ${result.acked} ${rebuiltAfterMs} ms after the restart; partitions ${endsAfter.length}, reloads ${stack.partitionReloads()}`,
    );
    // No record arrived: the rebuild came from the store check, not from a commit conflict.
    expect(endsAfter).toEqual(endsBefore);
    expect(stack.counterOutput()).toContain(IDLE_WARNING);
    for (const end of endsAfter) {
      if (end.high > end.low) expect(Number(stored[offsetField(stack.pingsTopic, end.partition)])).toBe(end.high);
    }
    expect(await stack.pingCount()).toEqual({ total: result.acked, source: "dragonfly" });
  });
});
