// Postbacks benchmark: deliveries/s through gateway → Kafka → postback-delivery → a local partner
// (answering at once, and after 50 ms) against a plain undici loop with the same concurrency
// sending the same requests (the ceiling on this machine), then submit → first attempt latency
// p50/p99 at a paced rate. Run: `node dist/bench/postbacks-bench.js` with the stack up
// (BENCH_SCALE=N multiplies counts; BENCH_RATE sets the paced rate). Spawns its own gateway and
// postback-delivery under a fresh topic prefix and database; prints JSON lines.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { benchFlowEnv } from "./bench-database.js";
import { machineInfo } from "./machine.js";
import { percentile } from "./ping-load.js";
import { spawnService, stopService } from "./spawn-service.js";

const scale = Number(process.env.BENCH_SCALE ?? 1);
const DELIVERIES = 5_000 * scale;
const CONCURRENCY = 32; // OUTBOUND_MAX_PER_HOST of the delivery service and the plain loop's connections
const RATE_PER_S = Number(process.env.BENCH_RATE ?? 1_000);
const PACED_S = 10;
const id = `benchpb${Date.now().toString(36)}`;
const print = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);
const round = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A partner on 127.0.0.1: answers 200 after `latencyMs`, remembers when each webhook-id first arrived. */
async function partner(latencyMs: number) {
  const firstSeen = new Map<string, number>();
  let calls = 0;
  const server: Server = createServer((req, res) => {
    calls++;
    const hook = String(req.headers["webhook-id"] ?? `plain-${calls}`);
    if (!firstSeen.has(hook)) firstSeen.set(hook, performance.now());
    req.resume();
    const answer = () => res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/p`;
  return {
    url,
    firstSeen,
    calls: () => calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** The ceiling: `n` GETs with the same concurrency, straight from this process. */
async function plainLoop(url: string, n: number): Promise<number> {
  const agent = new Agent({ connections: CONCURRENCY });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const response = await request(`${url}?i=${i}`, {
          dispatcher: agent,
          headers: { "webhook-id": `plain-${i}`, "webhook-timestamp": String(Math.floor(Date.now() / 1000)) },
        });
        await response.body.text();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return n / seconds;
}

async function submit(gateway: string, url: string, count: number): Promise<{ ids: string[]; startedAt: number }> {
  const startedAt = performance.now();
  const response = await fetch(`${gateway}/postback`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      endpoint: { method: "GET", url: `${url}?i={i}` },
      data: Array.from({ length: count }, (_, i) => ({ i })),
    }),
  });
  const body = (await response.json()) as { deliveryIds?: string[] };
  if (!response.ok || body.deliveryIds === undefined) throw new Error(`submit failed: ${JSON.stringify(body)}`);
  return { ids: body.deliveryIds, startedAt };
}

async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function main() {
  const database = await benchFlowEnv(id);
  const env = {
    ...database.env,
    POSTBACK_DELIVERY_GROUP_ID: `${id}-delivery`,
    OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32",
    OUTBOUND_MAX_PER_HOST: String(CONCURRENCY),
  };
  const delivery = spawnService("dist/processors/postback-delivery/main.js", env, 19_710);
  const gateway = spawnService("dist/producers/gateway/main.js", env, 19_711);
  const gatewayUrl = `http://127.0.0.1:${gateway.port}`;
  try {
    await Promise.all([delivery.ready, gateway.ready]);
    print({ bench: "postbacks", machine: machineInfo(), deliveries: DELIVERIES, concurrency: CONCURRENCY });
    // Warm-up: connections, consumer assignment, JIT.
    const warm = await partner(0);
    const w = await submit(gatewayUrl, warm.url, 200);
    await waitFor(() => w.ids.every((x) => warm.firstSeen.has(x)), 60_000, "warm-up");
    await warm.close();

    for (const latencyMs of [0, 50]) {
      const p = await partner(latencyMs);
      const plainPerS = await plainLoop(p.url, DELIVERIES);
      const started = performance.now();
      const batches = await Promise.all(Array.from({ length: 5 }, () => submit(gatewayUrl, p.url, DELIVERIES / 5)));
      const ids = batches.flatMap((b) => b.ids);
      await waitFor(() => ids.every((x) => p.firstSeen.has(x)), 300_000, `${DELIVERIES} deliveries`);
      const seconds = (performance.now() - started) / 1000;
      const perS = DELIVERIES / seconds;
      print({
        part: "throughput",
        partnerLatencyMs: latencyMs,
        plainUndiciPerS: Math.round(plainPerS),
        postbacksPerS: Math.round(perS),
        ratio: round((perS / plainPerS) * 100) / 100,
        submitToAllDeliveredS: round(seconds),
      });
      await p.close();
    }

    const p = await partner(0);
    const perTick = Math.max(1, Math.round(RATE_PER_S / 10));
    const sent: { ids: string[]; startedAt: number }[] = [];
    const pending: Promise<void>[] = [];
    for (let tick = 0; tick < PACED_S * 10; tick++) {
      const due = performance.now() + 100;
      pending.push(submit(gatewayUrl, p.url, perTick).then((b) => void sent.push(b)));
      await sleep(Math.max(0, due - performance.now()));
    }
    await Promise.all(pending);
    const ids = sent.flatMap((b) => b.ids);
    await waitFor(() => ids.every((x) => p.firstSeen.has(x)), 120_000, "paced deliveries");
    const latencies = sent
      .flatMap((b) => b.ids.map((x) => (p.firstSeen.get(x) ?? Number.NaN) - b.startedAt))
      .sort((a, b) => a - b);
    print({
      part: "submit-to-first-attempt",
      ratePerS: perTick * 10,
      seconds: PACED_S,
      n: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies.at(-1) ?? Number.NaN),
    });
    await p.close();
  } finally {
    await stopService(gateway.child);
    await stopService(delivery.child);
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
