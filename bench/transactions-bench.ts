// Transactions benchmark: Start/Stop throughput through the gateway, Dragonfly memory held by
// 50,000 pending transactions, and time from a deadline to its callback (p50/p99).
// Run: `make bench-transactions` (stack up, then `node dist/bench/transactions-bench.js`;
// BENCH_SCALE=N multiplies counts). Spawns its own gateway, timer and dispatcher under a fresh
// topic prefix, namespace and database, with default settings; prints JSON lines.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { transactionTimerKeys } from "../processors/transaction-timer/index.js";
import { KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../runtime/observability/logger.js";
import { offsetField } from "../runtime/state/redis-state-store.js";
import { CallbackReceiver } from "../testkit/index.js";
import { runConnectLoad } from "./connect-load.js";
import { machineInfo } from "./machine.js";
import { percentile } from "./ping-load.js";

const root = join(import.meta.dirname, "..", "..");
const scale = Number(process.env.BENCH_SCALE ?? 1);
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const databaseUrl = process.env.DATABASE_URL ?? "postgres://tributary@127.0.0.1:15432/tributary";
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:16379");
const id = `benchtxn${Date.now().toString(36)}`;
const prefix = `${id}.`;
const namespace = `${id}:`;
const keys = transactionTimerKeys(namespace);
const kafka = new KafkaAdapter({ brokers, clientId: "bench", logger: createLogger("bench", "warn") });
const print = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);
const round = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

let nextPort = 19_600;
function startService(entry: string, env: Record<string, string>) {
  const port = nextPort++;
  const child = spawn(process.execPath, [join(root, entry)], {
    env: { ...process.env, LOG_LEVEL: "warn", HTTP_PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ready = (async () => {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
      } catch {}
      await sleep(100);
    }
    throw new Error(`${entry} not ready`);
  })();
  return { child, ready, port };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function usedMemory(): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Bytes of the timer's keys in this namespace (MEMORY USAGE, all samples), and how many keys. */
async function stateBytes(): Promise<{ keys: number; bytes: number }> {
  const found = await redis.keys(`${namespace}txn:*`);
  let bytes = 0;
  for (const key of found) bytes += Number((await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0")) ?? 0);
  return { keys: found.length, bytes };
}

/** Waits until the timer has committed every record of `transactions`. */
async function timerCaughtUp(timeoutMs = 300_000): Promise<void> {
  const topic = `${prefix}transactions`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ends = (await kafka.partitionOffsets(topic)).filter((e) => e.high > e.low);
    const stored =
      ends.length === 0 ? [] : await redis.hmget(keys.offsets, ...ends.map((e) => offsetField(topic, e.partition)));
    if (ends.every((e, i) => Number(stored[i] ?? -1) >= e.high)) return;
    if (Date.now() > deadline) throw new Error("timer did not catch up");
    await sleep(50);
  }
}

/** Kafka timestamp (the timer's emit time) of the first timeout record per idempotency key. */
async function emittedAt(wanted: number): Promise<Map<string, number>> {
  const topic = `${prefix}transactions.timeouts`;
  const ends = await kafka.partitionOffsets(topic);
  const remaining = new Map(ends.filter((e) => e.high > e.low).map((e) => [e.partition, e.high]));
  const out = new Map<string, number>();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60_000);
  const consumer = kafka.createConsumer({ groupId: `${id}-read-${Date.now()}` });
  await consumer.run({
    topics: [topic],
    fromBeginning: true,
    signal: controller.signal,
    onBatch: async (batch) => {
      for (const r of batch.records) {
        // Keys are transaction ids; the record timestamp is when the timer produced it.
        if (r.key !== null && !out.has(r.key)) out.set(r.key, r.timestampMs);
      }
      const last = batch.records.at(-1);
      if (last !== undefined && last.offset + 1 >= (remaining.get(batch.partition) ?? 0))
        remaining.delete(batch.partition);
      if (remaining.size === 0 || out.size >= wanted) controller.abort();
      return "consumed";
    },
  });
  clearTimeout(timer);
  await consumer.disconnect().catch(() => undefined);
  return out;
}

const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE "${id}"`);
const benchDb = new URL(databaseUrl);
benchDb.pathname = `/${id}`;
const receiver = await CallbackReceiver.start();
const env = {
  TOPIC_PREFIX: prefix,
  STATE_NAMESPACE: namespace,
  DATABASE_URL: benchDb.toString(),
  TRANSACTION_TIMER_GROUP_ID: `${id}-timer`,
  CALLBACK_DISPATCHER_GROUP_ID: `${id}-dispatcher`,
};
const gateway = startService("dist/producers/gateway/main.js", env);
await gateway.ready;
const timer = startService("dist/processors/transaction-timer/main.js", env);
const dispatcher = startService("dist/processors/callback-dispatcher/main.js", env);
await Promise.all([timer.ready, dispatcher.ready]);
const base = `http://127.0.0.1:${gateway.port}/transactions.v1.TransactionService`;
const callbackTarget = receiver.target();
const startBody = (txnId: string, timeoutSeconds: number, clientId = "bench") =>
  JSON.stringify({
    client_id: clientId,
    transaction_type: "bench",
    transaction_id: txnId,
    callback_target: callbackTarget,
    payload_json: `{"order":"${txnId}","amount":42}`,
    timeout_seconds: timeoutSeconds,
  });
const stopBody = (txnId: string) => JSON.stringify({ transaction_id: txnId });

try {
  print({ bench: "machine", ...machineInfo(), allowedLatenessMs: 500, tickIntervalMs: 200 });

  // 1. Start/Stop throughput through the gateway (Connect JSON over HTTP/1.1, 64 clients).
  const pairs = 20_000 * scale;
  {
    const concurrency = 64;
    const starts = await runConnectLoad({
      url: `${base}/Start`,
      total: pairs,
      concurrency,
      body: (i) => startBody(`tp-${i}`, 3600),
    });
    const stops = await runConnectLoad({
      url: `${base}/Stop`,
      total: pairs,
      concurrency,
      body: (i) => stopBody(`tp-${i}`),
    });
    const t0 = Date.now();
    await timerCaughtUp();
    print({
      bench: "start-stop-throughput",
      transactions: pairs,
      concurrency,
      startsPerS: Math.round((starts.acked / starts.elapsedMs) * 1000),
      startLatencyMs: stats(starts.latenciesMs),
      stopsPerS: Math.round((stops.acked / stops.elapsedMs) * 1000),
      stopLatencyMs: stats(stops.latenciesMs),
      failed: starts.failed + stops.failed,
      firstError: starts.firstError ?? stops.firstError,
      timerCatchUpAfterLastStopMs: Date.now() - t0,
    });
  }

  // 2. Memory: 50,000 pending transactions (100 clients), measured once the timer committed them.
  const pending = 50_000 * scale;
  await sleep(1_000);
  const before = await usedMemory();
  const load = await runConnectLoad({
    url: `${base}/Start`,
    total: pending,
    concurrency: 64,
    body: (i) => startBody(`mem-${i}`, 3600, `client-${i % 100}`),
  });
  await timerCaughtUp();
  await sleep(500);
  const after = await usedMemory();
  const state = await stateBytes();
  const perPartition = await Promise.all(
    [0, 1, 2, 3, 4, 5].map(async (p) => {
      const pipeline = redis.pipeline();
      for (const bucket of keys.timerBuckets(p)) pipeline.hlen(bucket);
      return ((await pipeline.exec()) ?? []).reduce((n, [, len]) => n + Number(len ?? 0), 0);
    }),
  );
  print({
    bench: "pending-memory",
    pending,
    failed: load.failed,
    startsPerS: Math.round((load.acked / load.elapsedMs) * 1000),
    usedMemoryDeltaBytes: after - before,
    bytesPerPendingUsedMemory: Math.round((after - before) / pending),
    stateKeys: state.keys,
    stateBytesMemoryUsage: state.bytes,
    bytesPerPendingMemoryUsage: Math.round(state.bytes / pending),
    pendingPerPartition: perPartition,
  });
  const listStarted = performance.now();
  const listing = (await (
    await fetch(`${base}/ListPending`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "client-7" }),
    })
  ).json()) as { pending?: unknown[]; caughtUp?: boolean };
  print({
    bench: "list-pending",
    clientPending: listing.pending?.length ?? 0,
    caughtUp: listing.caughtUp ?? false,
    ms: round(performance.now() - listStarted),
  });
  const stops = await runConnectLoad({
    url: `${base}/Stop`,
    total: pending,
    concurrency: 64,
    body: (i) => stopBody(`mem-${i}`),
  });
  await timerCaughtUp();
  await sleep(500);
  print({
    bench: "pending-memory-after-stops",
    stopsPerS: Math.round((stops.acked / stops.elapsedMs) * 1000),
    usedMemoryDeltaBytes: (await usedMemory()) - before,
    stateKeys: (await stateBytes()).keys,
  });

  // 3. Deadline → callback: paced Starts without Stop, then a burst.
  for (const run of [
    { name: "paced-500-per-s", total: 2_000 * scale, ratePerS: 500, timeoutSeconds: 2 },
    { name: "burst", total: 10_000 * scale, ratePerS: undefined, timeoutSeconds: 5 },
  ]) {
    const deadlines = new Map<string, number>();
    const sent = await runConnectLoad({
      url: `${base}/Start`,
      total: run.total,
      concurrency: 64,
      ...(run.ratePerS === undefined ? {} : { ratePerS: run.ratePerS }),
      body: (i) => startBody(`${run.name}-${i}`, run.timeoutSeconds),
      onResponse: (_i, json) => {
        const r = json as { transactionId: string; deadlineMs: string };
        deadlines.set(r.transactionId, Number(r.deadlineMs));
      },
    });
    const waitUntil = Date.now() + run.timeoutSeconds * 1000 + 60_000;
    const arrived = () => receiver.received.filter((c) => deadlines.has(c.timeout.started?.transactionId ?? ""));
    while (new Set(arrived().map((c) => c.key)).size < deadlines.size && Date.now() < waitUntil) await sleep(100);
    await sleep(1_000);
    const firsts = new Map<string, number>();
    const overshoot: number[] = [];
    for (const c of arrived()) {
      const txn = c.timeout.started?.transactionId ?? "";
      if (firsts.has(txn)) continue;
      firsts.set(txn, c.receivedAtMs - (deadlines.get(txn) ?? 0));
      overshoot.push(Number(c.timeout.firedAtMs - c.timeout.deadlineMs));
    }
    const emitted = await emittedAt(Number.POSITIVE_INFINITY);
    const toEmit: number[] = [];
    const emitToCallback: number[] = [];
    for (const c of arrived()) {
      const txn = c.timeout.started?.transactionId ?? "";
      const at = emitted.get(txn);
      if (at === undefined || toEmit.length >= firsts.size) continue;
      toEmit.push(at - (deadlines.get(txn) ?? 0));
      emitToCallback.push(c.receivedAtMs - at);
    }
    print({
      bench: "deadline-to-callback",
      run: run.name,
      started: sent.acked,
      sendSeconds: round(sent.elapsedMs / 1000),
      callbacks: arrived().length,
      distinctKeys: firsts.size,
      early: [...firsts.values()].filter((l) => l < 0).length,
      latencyMs: stats([...firsts.values()]),
      // Watermark at firing minus deadline (event time): how far past the deadline it fired.
      watermarkOvershootMs: stats(overshoot),
      // Split at the timeout record's Kafka timestamp: timer side, then dispatcher + HTTP side.
      deadlineToEmitMs: stats(toEmit),
      emitToCallbackMs: stats(emitToCallback),
    });
  }
} finally {
  await Promise.all([stop(gateway.child), stop(timer.child), stop(dispatcher.child)]);
  await receiver.close();
  const topics = (await kafka.listTopics()).filter((t) => t.startsWith(prefix));
  await kafka.deleteTopics(topics).catch(() => undefined);
  await kafka.close();
  const left = await redis.keys(`${namespace}*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
  await admin.query(`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`);
  await admin.end();
}
