// Postbacks memory benchmark: how the delivery processor's memory behaves while a backlog of
// deliveries waits for retry. A partner that always answers 503 and a 1 h retry delay keep every
// delivery unfinished after its first attempt; the backlog grows in steps up to 100,000 and after
// each step the bench prints the processor's RSS, V8 heap and unfinished deliveries in memory.
// The bound is by design: a partition pauses at POSTBACK_DELIVERY_MAX_IN_FLIGHT unfinished
// deliveries, so memory stops growing at partitions × that cap; the rest waits in Kafka.
// Run: `node dist/bench/postbacks-memory-bench.js` with the stack up (BENCH_TOTAL, BENCH_CAP).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { benchFlowEnv } from "./bench-database.js";
import { machineInfo } from "./machine.js";
import { spawnService, stopService } from "./spawn-service.js";

const TOTAL = Number(process.env.BENCH_TOTAL ?? 100_000);
const STEP = 20_000;
const CAP_PER_PARTITION = Number(process.env.BENCH_CAP ?? 5_000);
const id = `benchpbm${Date.now().toString(36)}`;
const print = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kib / 1024);
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const values = text
    .split("\n")
    .filter((l) => l.startsWith(name) && !l.startsWith(`${name}_`))
    .map((l) => Number(l.split(" ").at(-1)));
  return values.reduce((a, b) => a + b, 0);
}

async function main() {
  let firstAttempts = 0;
  const seen = new Set<string>();
  const partner = createServer((req, res) => {
    const hook = String(req.headers["webhook-id"] ?? "");
    if (!seen.has(hook)) {
      seen.add(hook);
      firstAttempts++;
    }
    req.resume();
    res.writeHead(503).end("down");
  });
  await new Promise<void>((r) => partner.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(partner.address() as AddressInfo).port}/p`;
  const database = await benchFlowEnv(id);
  const env = {
    ...database.env,
    POSTBACK_DELIVERY_GROUP_ID: `${id}-delivery`,
    POSTBACK_DELIVERY_RETRY_DELAYS_MS: "3600000",
    POSTBACK_DELIVERY_MAX_IN_FLIGHT: String(CAP_PER_PARTITION),
    OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32",
  };
  const delivery = spawnService("dist/processors/postback-delivery/main.js", env, 19_720);
  const gateway = spawnService("dist/producers/gateway/main.js", env, 19_721);
  try {
    await Promise.all([delivery.ready, gateway.ready]);
    const pid = delivery.child.pid ?? 0;
    print({
      bench: "postbacks-memory",
      machine: machineInfo(),
      total: TOTAL,
      partitions: 6,
      maxInFlightPerPartition: CAP_PER_PARTITION,
      boundDeliveries: 6 * CAP_PER_PARTITION,
    });
    print({ part: "idle", submitted: 0, rssMiB: rssMiB(pid) });
    for (let submitted = 0; submitted < TOTAL; ) {
      const n = Math.min(STEP, TOTAL - submitted);
      for (let i = 0; i < n; i += 5_000) {
        const response = await fetch(`http://127.0.0.1:${gateway.port}/postback`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            endpoint: { method: "POST", url },
            data: Array.from({ length: Math.min(5_000, n - i) }, (_, k) => ({
              n: submitted + i + k,
              pad: "x".repeat(64),
            })),
          }),
        });
        if (!response.ok) throw new Error(`submit: ${response.status} ${await response.text()}`);
      }
      submitted += n;
      // Settle: first attempts stop arriving (every partition either drained or paused at its cap).
      let last = -1;
      for (let quiet = 0; quiet < 6; ) {
        await sleep(1_000);
        quiet = firstAttempts === last ? quiet + 1 : 0;
        last = firstAttempts;
      }
      const heapUsed = await metric(delivery.port, "nodejs_heap_size_used_bytes");
      print({
        part: "backlog",
        submitted,
        firstAttempts,
        inFlight: await metric(delivery.port, "tributary_deliveries_in_flight"),
        rssMiB: rssMiB(pid),
        heapUsedMiB: Math.round(heapUsed / 1024 / 1024),
      });
    }
  } finally {
    await stopService(gateway.child);
    await stopService(delivery.child);
    partner.close();
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
