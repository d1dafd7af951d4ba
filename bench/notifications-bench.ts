// Notifications benchmark: POST /event acked/s and p99 against Ping through the same gateway on
// the same run, and the simulator's own ceiling against a no-op HTTP server (vs autocannon).
// Run: `source stack/env.sh && node dist/bench/notifications-bench.js` (stack up). JSON lines.
// BENCH_PHASE_S (default 6) sets each phase's length; the whole run stays under a minute.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../runtime/observability/logger.js";
import { type SimulateInput, simulate } from "../testkit/load/index.js";
import { machineInfo } from "./machine.js";

const root = join(import.meta.dirname, "..", "..");
const phaseMs = Number(process.env.BENCH_PHASE_S ?? 6) * 1_000;
const print = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
    server.once("error", reject);
  });
}

async function startProcess(args: string[], env: Record<string, string>, port: number, path: string) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LOG_LEVEL: "warn", ...env, HTTP_PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}${path}`, { method: "GET" })).status < 500) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`${args.join(" ")} not ready`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function phase(label: string, input: SimulateInput): Promise<void> {
  const r = await simulate(input);
  print({
    bench: label,
    target: r.options.target,
    protocol: r.options.protocol,
    offeredPerS: r.options.ratePerS,
    concurrency: r.options.concurrency,
    sent: r.sent,
    ok: r.ok,
    failed: r.failed,
    missed: r.missed,
    okPerS: Math.round(r.okRatePerS),
    serviceP50Ms: r.serviceTimeMs.p50,
    serviceP99Ms: r.serviceTimeMs.p99,
    latencyP99Ms: r.latencyMs.p99,
  });
}

/** No-op HTTP server in its own process: answers every request 200 `{}` after reading the body. */
const NOOP_SERVER = `require("node:http").createServer((q, s) => { q.resume(); q.on("end", () =>
  s.writeHead(200, { "content-type": "application/json" }).end("{}")); })
  .listen(Number(process.env.HTTP_PORT), "127.0.0.1");`;

async function autocannonReqPerS(url: string, connections: number, seconds: number): Promise<number | null> {
  const bin = join(root, "node_modules", "autocannon", "autocannon.js");
  if (!existsSync(bin)) return null;
  const child = spawn(
    process.execPath,
    [
      bin,
      "-j",
      "-c",
      String(connections),
      "-d",
      String(seconds),
      "-m",
      "POST",
      "-H",
      "content-type=application/json",
      "-b",
      '{"id":1,"description":"hello world"}',
      url,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await new Promise((r) => child.once("exit", r));
  const report = JSON.parse(out) as { requests: { total: number }; duration: number };
  return report.requests.total / report.duration;
}

/** The gateway's topics of this run (it creates them under the prefix at start). */
async function deleteTopics(prefix: string): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
  const kafka = new KafkaAdapter({ brokers, clientId: "bench", logger: createLogger("bench", "warn") });
  try {
    await kafka.deleteTopics((await kafka.listTopics()).filter((t) => t.startsWith(prefix)));
  } finally {
    await kafka.close();
  }
}

async function main(): Promise<void> {
  print({ bench: "machine", ...machineInfo() });
  const port = await freePort();
  const prefix = `bench${Date.now().toString(36)}.`;
  const gateway = await startProcess(
    [join(root, "dist/producers/gateway/main.js")],
    { TOPIC_PREFIX: prefix },
    port,
    "/readyz",
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    // Same offered rate, same connections, same protocol (JSON over HTTP/1.1): /event vs Ping.
    const common = { baseUrl, ratePerS: 4_000, durationMs: phaseMs, concurrency: 32, rampMs: 500 } as const;
    await phase("gateway", { ...common, target: "event", protocol: "http" });
    await phase("gateway", { ...common, target: "ping", protocol: "http" });
    await phase("gateway", { ...common, target: "event", protocol: "connect" });
    await phase("gateway", { ...common, target: "ping", protocol: "connect" });
  } finally {
    await stop(gateway);
    await deleteTopics(prefix);
  }

  const noopPort = await freePort();
  const noop = await startProcess(["-e", NOOP_SERVER], {}, noopPort, "/");
  try {
    const connections = 16;
    const seconds = Math.max(3, Math.round(phaseMs / 2_000));
    const sim = await simulate({
      target: "event",
      protocol: "http",
      baseUrl: `http://127.0.0.1:${noopPort}`,
      ratePerS: 100_000,
      durationMs: seconds * 1_000,
      concurrency: connections,
    });
    const reference = await autocannonReqPerS(`http://127.0.0.1:${noopPort}/event`, connections, seconds);
    print({
      bench: "simulator-overhead",
      connections,
      seconds,
      simulatorOkPerS: Math.round(sim.okRatePerS),
      simulatorServiceP99Ms: sim.serviceTimeMs.p99,
      autocannonReqPerS: reference === null ? null : Math.round(reference),
      ratio: reference === null ? null : Math.round((sim.okRatePerS / reference) * 100) / 100,
    });
  } finally {
    await stop(noop);
  }
}

await main();
