import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedPingStack, keyedPings } from "../helpers/keyed-ping-stack.js";
import {
  type KeyedPingOutcome,
  keyedPingClient,
  newTally,
  retryKeyedPings,
  sendKeyedPings,
} from "../helpers/keyed-pings.js";

// Issue 13, item 3: the gateway is killed -9 several times under keyed load; every request left
// in doubt (connection reset, refused, timed out) is retried with its key once the gateway is
// back, and some acknowledged ones are re-sent too. Counts must equal the distinct keys exactly.
const PINGS = Number(process.env.IDEMPOTENCY_CHAOS_PINGS ?? 4_000);
const KILLS = 3;
const flow = keyedPingStack("idemgw");

beforeAll(async () => {
  await flow.setUp();
  await flow.stack.start("gateway", "counter", "sink");
}, 120_000);
afterAll(() => flow.close(), 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("retry-safe pings across gateway kill -9", () => {
  it(`counts ${PINGS} keyed pings exactly while the gateway is killed ${KILLS} times`, {
    timeout: 600_000,
  }, async () => {
    const gateway = flow.stack.service("gateway");
    const base = flow.stack.urlOf("gateway");
    const pings = keyedPings(flow.stack.id, PINGS);
    const byKey = new Map(pings.map((p) => [p.key, p]));
    const client = keyedPingClient(24);
    const tally = newTally();
    const answers = new Map<string, KeyedPingOutcome & { kind: "acked" }>();
    const inDoubt = new Set<string>();
    const load = sendKeyedPings({
      client,
      baseUrlOf: () => base,
      pings,
      concurrency: 24,
      timeoutMs: 3_000,
      tally,
      answers,
      inDoubt,
      maxDurationMs: 300_000,
    });
    let done = false;
    void load.finally(() => {
      done = true;
    });
    const kills: number[] = [];
    for (let k = 0; k < KILLS && !done; k++) {
      // Killed at random points within the load's 1st, 2nd and 3rd quarter.
      const at = PINGS * ((k + Math.random() * 0.8 + 0.1) / (KILLS + 1));
      while (tally.sent < at && !done) await sleep(20);
      await gateway.kill9();
      kills.push(tally.sent);
      await sleep(200 + Math.random() * 500);
      await gateway.spawn(true);
    }
    await load;
    expect(kills.length).toBe(KILLS);
    expect(tally.refused, tally.firstRefusal).toBe(0);
    const inDoubtKeys = inDoubt.size;
    // A tenth of the acknowledged pings retried as well: they must answer their first result.
    const extra = [...answers.keys()].filter((_, i) => i % 10 === 0);
    await retryKeyedPings({
      client,
      baseUrl: base,
      byKey,
      inDoubt,
      answers,
      extra,
      tally,
      timeoutMs: 5_000,
      maxRounds: 20,
    });
    await client.close();
    expect(inDoubt.size).toBe(0);
    expect(tally.mismatched).toBe(0);

    const distinct = answers.size;
    expect(distinct).toBe(PINGS);
    const counted = await flow.counted(base);
    console.log(JSON.stringify({ ...tally, inDoubtKeys, distinct, ...counted, killsAtSent: kills }));
    expect({ counter: counted.counter, postgres: counted.postgres, pingCount: counted.pingCount }).toEqual({
      counter: distinct,
      postgres: distinct,
      pingCount: distinct,
    });
  });
});
