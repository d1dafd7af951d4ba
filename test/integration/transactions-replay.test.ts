import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TransactionTimedOut, TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { transactionTimerKeys } from "../../processors/transaction-timer/index.js";
import { offsetField } from "../../runtime/state/redis-state-store.js";
import { readTopic } from "../helpers/read-topic.js";
import { runCli } from "../helpers/run-command.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { ENTRY, TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// Issue 13: `tributary replay transaction-timer --from earliest`. Transactions started through
// the gateway (stopped, left pending, timed out), the timer's state snapshotted once it has caught
// up, its keys deleted (Dragonfly lost them), the replay run: the rebuilt state must equal the
// snapshot exactly, ListPending must answer the same, and no timeout may be emitted again.
//
// The timer's own look-back is made short (its TRANSACTION_MAX_TIMEOUT_SECONDS is 2, below the
// gateway's; skew 1 s): after losing its keys it rebuilds by itself from 3.5 s back only, which
// cannot recover these Starts. Only the replay's `--from earliest` can, so the test tells them apart.
// Round 1 lets the timer's own rebuild finish first (the pending set is then visibly gone); round 2
// deletes the keys and replays at once, racing the timer's own rebuild.
const TIMER_LOOKBACK_ENV = { TRANSACTION_MAX_TIMEOUT_SECONDS: "2", TRANSACTION_MAX_EVENT_SKEW_MS: "1000" };
const LOOKBACK_MS = 2_000 + 500 + 1_000;
const CLIENTS = ["replay-a", "replay-b", "replay-c"];
const STOPPED = 24; // Start + Stop: never pending after the Stop, never fired
const PENDING = 36; // 10-minute timeout: pending through the whole test
const SHORT = 21; // 1 s timeout: fired before the snapshot, must not fire again

const stack = new TransactionsStack("txnreplay");
beforeAll(async () => {
  await stack.setUp();
  await stack.start("gateway");
  stack.services.timer = await ServiceProcess.start(ENTRY.timer, { ...stack.env, ...TIMER_LOOKBACK_ENV });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

/** Every key of the timer in the test's namespace with its full content (hash, zset or string). */
async function timerState(redis: Redis, namespace: string): Promise<Record<string, unknown>> {
  const keys = transactionTimerKeys(namespace);
  const names = [...(await redis.keys(`${namespace}txn:*`)), keys.offsets].sort();
  const state: Record<string, unknown> = {};
  for (const key of names) {
    const type = await redis.type(key);
    if (type === "hash") state[key] = await redis.hgetall(key);
    else if (type === "zset") state[key] = await redis.zrange(key, 0, -1, "WITHSCORES");
    else if (type === "string") state[key] = await redis.get(key);
    else if (type !== "none") state[key] = `unexpected ${type}`;
  }
  return state;
}

describe("tributary replay transaction-timer", () => {
  it("rebuilds the timer's state exactly from earliest, ListPending answers the same, no timeout is re-emitted", {
    timeout: 120_000,
  }, async () => {
    const client = stack.client();
    const callbackTarget = stack.receiver.target();
    const clientOf = (i: number) => CLIENTS[i % CLIENTS.length] as string;
    const payload = (id: string) => ({ case: "payloadJson" as const, value: JSON.stringify({ id }) });
    const start = (id: string, i: number, timeoutSeconds: number) =>
      client.start({
        clientId: clientOf(i),
        transactionType: "replay",
        transactionId: id,
        callbackTarget,
        payload: payload(id),
        timeoutSeconds,
      });
    for (let i = 0; i < SHORT; i++) await start(`short-${i}`, i, 1);
    for (let i = 0; i < STOPPED; i++) {
      await start(`stopped-${i}`, i, 600);
      await client.stop({ transactionId: `stopped-${i}` });
    }
    for (let i = 0; i < PENDING; i++) await start(`pending-${i}`, i, 600);
    const lastStartAt = Date.now();

    const topic = stack.platform.topic("transactions");
    const timeoutsTopic = stack.platform.topic("transactions.timeouts");
    const ends = await stack.platform.kafka.partitionOffsets(topic);
    const records = ends.reduce((n, e) => n + e.high - e.low, 0);
    expect(records).toBe(SHORT + 2 * STOPPED + PENDING);
    const keys = transactionTimerKeys(stack.namespace);
    const caughtUp = async () => {
      const stored = await stack.redis.hgetall(keys.offsets);
      return ends.every((e) => e.high === e.low || Number(stored[offsetField(topic, e.partition)] ?? -1) >= e.high);
    };
    const timeoutKeys = async () => {
      const perKey = new Map<string, number>();
      for (const record of await readTopic(stack.platform.kafka, timeoutsTopic)) {
        const { message } = await stack.platform.codec.decode<TransactionTimedOut>(record, TransactionTimedOutSchema);
        perKey.set(message.idempotencyKey, (perKey.get(message.idempotencyKey) ?? 0) + 1);
      }
      return perKey;
    };
    let timeoutsBefore = new Map<string, number>();
    await waitUntil(
      async () => {
        if (!(await caughtUp())) return false;
        timeoutsBefore = await timeoutKeys();
        return timeoutsBefore.size >= SHORT;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        describe: async () => `${timeoutsBefore.size} timeouts; ${await stack.diagnose()}`,
      },
    );

    // The snapshot, checked stable (an idle timer rewrites nothing).
    const snapshot = await timerState(stack.redis, stack.namespace);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await timerState(stack.redis, stack.namespace)).toEqual(snapshot);
    const pendingBefore = await Promise.all(CLIENTS.map((c) => client.listPending({ clientId: c })));
    expect(pendingBefore.flatMap((l) => l.pending.map((p) => p.transactionId)).sort()).toEqual(
      Array.from({ length: PENDING }, (_, i) => `pending-${i}`).sort(),
    );
    // Sanity of the snapshot itself: every pending id is in its client's index.
    for (const [i, name] of CLIENTS.entries()) {
      // The client's index, whatever its layout (one hash, or buckets `txn:client:<id>:<b>`).
      const index = Object.entries(snapshot)
        .filter(
          ([key]) =>
            key === `${stack.namespace}txn:client:${name}` || key.startsWith(`${stack.namespace}txn:client:${name}:`),
        )
        .flatMap(([, fields]) => Object.keys(fields as Record<string, string>));
      expect(index.sort()).toEqual(
        Array.from({ length: PENDING }, (_, j) => j)
          .filter((j) => j % CLIENTS.length === i)
          .map((j) => `pending-${j}`)
          .sort(),
      );
    }
    const timeoutRecordsBefore = [...timeoutsBefore.values()].reduce((a, b) => a + b, 0);

    // The Starts are now older than the timer's own look-back.
    await new Promise((r) => setTimeout(r, Math.max(0, LOOKBACK_MS + 1_000 - (Date.now() - lastStartAt))));
    const rounds: { round: number; replayMs: number; pendingAfterOwnRebuild?: number }[] = [];
    for (const round of [1, 2]) {
      // Dragonfly loses the timer's keys (only this namespace's).
      const deleted = [...(await stack.redis.keys(`${stack.namespace}txn:*`)), keys.offsets];
      expect(await stack.redis.del(...deleted)).toBe(Object.keys(snapshot).length);
      let pendingAfterOwnRebuild: number | undefined;
      if (round === 1) {
        // The timer notices (its idle commit finds the offsets gone) and rebuilds from 3.5 s back:
        // offsets stored again, the pending transactions gone.
        await waitUntil(caughtUp, { timeoutMs: 30_000, describe: () => stack.diagnose() });
        const lists = await Promise.all(CLIENTS.map((c) => client.listPending({ clientId: c })));
        pendingAfterOwnRebuild = lists.reduce((n, l) => n + l.pending.length, 0);
        expect(pendingAfterOwnRebuild).toBe(0);
      }
      const replayStartedAt = Date.now();
      const replay = await runCli(["replay", "transaction-timer", "--from", "earliest"], stack.env);
      const replayMs = Date.now() - replayStartedAt;
      expect(replay.code, replay.stderr).toBe(0);
      const summary = JSON.parse(replay.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
      expect(summary).toEqual({ records, rebuiltFromMs: 0, caughtUp: true });

      // The rebuilt state equals the snapshot exactly (and the replay's request key is gone).
      expect(await timerState(stack.redis, stack.namespace), `round ${round}`).toEqual(snapshot);
      expect(await stack.redis.exists(keys.rebuildFrom)).toBe(0);
      const pendingAfter = await Promise.all(CLIENTS.map((c) => client.listPending({ clientId: c })));
      expect(pendingAfter).toEqual(pendingBefore);
      rounds.push({ round, replayMs, ...(pendingAfterOwnRebuild === undefined ? {} : { pendingAfterOwnRebuild }) });
    }

    // The short timers fire again inside the rebuild (their deadlines have passed): each is
    // found in `transactions.timeouts` and skipped, so the topic holds one record per timeout.
    await new Promise((r) => setTimeout(r, 2_000)); // a late re-emission would be produced by now
    const timeoutsAfter = await timeoutKeys();
    expect(timeoutsAfter).toEqual(timeoutsBefore);
    expect([...timeoutsAfter.values()].every((n) => n === 1)).toBe(true);
    expect(timeoutsAfter.size).toBe(SHORT);
    expect(stack.service("timer").output.join("")).toContain("bounded rebuild");
    console.log(
      JSON.stringify({
        transactionsRecords: records,
        snapshotKeys: Object.keys(snapshot).length,
        pending: PENDING,
        stopped: STOPPED,
        timedOut: SHORT,
        timeoutRecordsBefore,
        timeoutRecordsAfter: [...timeoutsAfter.values()].reduce((a, b) => a + b, 0),
        rounds,
      }),
    );
  });
});
