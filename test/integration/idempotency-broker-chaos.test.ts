import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaCutProxy } from "../helpers/kafka-cut-proxy.js";
import { keyedPingStack, keyedPings } from "../helpers/keyed-ping-stack.js";
import {
  type KeyedPingOutcome,
  keyedPingClient,
  newTally,
  retryKeyedPings,
  sendKeyedPings,
} from "../helpers/keyed-pings.js";
import { stackEnv } from "../helpers/stack-env.js";

// Issue 13, item 3 ("Retries double-count"): the broker disappears under keyed load for one
// gateway (a proxy of its own is cut: connections reset, acks lost; the shared broker keeps
// running). Every in-doubt request is retried with its key through a second gateway (a client
// failing over), and the counts must equal the distinct keys exactly.
const PINGS = Number(process.env.IDEMPOTENCY_CHAOS_PINGS ?? 4_000);
const flow = keyedPingStack("idembk");
let proxy: KafkaCutProxy;

beforeAll(async () => {
  proxy = await KafkaCutProxy.start(stackEnv.KAFKA_BROKERS);
  await flow.setUp({ GATEWAY_PRODUCE_TIMEOUT_MS: "2000" });
  await flow.stack.start("counter", "sink");
}, 120_000);
afterAll(async () => {
  await flow.close();
  await proxy.close();
}, 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("retry-safe pings across a broker cut", () => {
  it(`counts ${PINGS} keyed pings exactly when the broker is cut mid-load`, { timeout: 600_000 }, async () => {
    const cutGateway = await flow.stack.spawn("gateway", { KAFKA_BROKERS: proxy.address });
    const failover = await flow.stack.spawn("gateway");
    const urls = { cut: `http://127.0.0.1:${cutGateway.port}`, failover: `http://127.0.0.1:${failover.port}` };
    let target = urls.cut;
    const pings = keyedPings(flow.stack.id, PINGS);
    const byKey = new Map(pings.map((p) => [p.key, p]));
    const client = keyedPingClient(32);
    const tally = newTally();
    const answers = new Map<string, KeyedPingOutcome & { kind: "acked" }>();
    const inDoubt = new Set<string>();
    const load = sendKeyedPings({
      client,
      baseUrlOf: () => target,
      pings,
      concurrency: 32,
      timeoutMs: 1_500,
      tally,
      answers,
      inDoubt,
      maxDurationMs: 300_000,
    });
    await sleep(1_000 + Math.random() * 1_000);
    const sentAtCut = tally.sent;
    await proxy.cut();
    // The client sees timeouts and unavailable for a while, then fails over for the rest.
    await sleep(4_000);
    target = urls.failover;
    await load;
    await cutGateway.kill9();
    expect(tally.refused, tally.firstRefusal).toBe(0);
    const inDoubtKeys = inDoubt.size;
    expect(inDoubtKeys).toBeGreaterThan(0);
    const extra = [...answers.keys()].filter((_, i) => i % 10 === 0);
    await retryKeyedPings({
      client,
      baseUrl: urls.failover,
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
    const counted = await flow.counted(urls.failover);
    console.log(JSON.stringify({ ...tally, inDoubtKeys, sentAtCut, distinct, ...counted }));
    expect({ counter: counted.counter, postgres: counted.postgres, pingCount: counted.pingCount }).toEqual({
      counter: distinct,
      postgres: distinct,
      pingCount: distinct,
    });
  });
});
