import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TransactionTimedOut, TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { idempotencyKey } from "../../processors/transaction-timer/index.js";
import { PrivateRedis } from "../helpers/private-redis.js";
import { readTopic } from "../helpers/read-topic.js";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// Issue 13.5: the timer's Dragonfly is flushed (FLUSHALL on a redis-server this test owns) while
// timers are pending and a history of timeouts was already emitted. The timer must rebuild from
// the oldest record that can still be pending (not the log start), skip timeouts already in
// `transactions.timeouts`, and ListPending must say caught_up=false until it has caught up.
const HISTORY = 400; // Starts without Stop, 10 minutes old: fired long ago
const RECENT_FIRED = 150; // recent Starts (1 s timeout) fired before the flush: inside the rebuilt range
const RECENT_PAIRS = 100; // recent Start + Stop: must never fire
const PENDING = 100; // pending at the flush (20 s timeout): must fire once, after the rebuild
const MAX_TIMEOUT_S = 30;

const stack = new TransactionsStack("txnflush");
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
  await stack.setUp({
    REDIS_URL: redis.url,
    TRANSACTION_MAX_TIMEOUT_SECONDS: String(MAX_TIMEOUT_S),
    TRANSACTION_MAX_EVENT_SKEW_MS: "2000",
    // ListPending's wait for the timer is short here: the default (2 s) can outlast this small rebuild.
    TRANSACTION_LIST_PENDING_WAIT_MS: "100",
    LOG_LEVEL: "info",
  });
  await stack.start("timer", "dispatcher", "gateway");
}, 120_000);
afterAll(async () => {
  await stack.close();
  await redis?.close();
});

describe("bounded timer rebuild after FLUSHALL", () => {
  it("fires every due timeout once in effect, re-emits at most the pending ones, says caught_up=false meanwhile", {
    timeout: 240_000,
  }, async () => {
    const expected = new Set<string>();
    const stoppedIds = new Set<string>();
    const accepted = () => stack.receiver.acceptedKeys();
    const waitForCallbacks = (n: number, label: string) =>
      waitUntil(() => accepted().size >= n, {
        timeoutMs: 90_000,
        describe: async () => `${label}: ${accepted().size} of ${n} callbacks; ${await stack.diagnose()}`,
      });

    // History, record timestamps 10 minutes back: outside the rebuild's look-back.
    const old = Date.now() - 600_000;
    const history = [];
    for (let i = 0; i < HISTORY; i++) {
      const id = `h-${i}`;
      history.push({ ...stack.startRecord({ id, timeoutSeconds: 5, eventTimeMs: old + i }), timestampMs: old + i });
      expected.add(idempotencyKey(id, old + i));
    }
    await stack.send(history);
    await waitForCallbacks(HISTORY, "history");
    const historyEnds = await stack.platform.kafka.partitionOffsets(stack.platform.topic("transactions"));

    // Recent traffic inside the look-back: fired, stopped, pending.
    const now = Date.now();
    const recent = [];
    for (let i = 0; i < RECENT_FIRED; i++) {
      recent.push(stack.startRecord({ id: `r-${i}`, timeoutSeconds: 1, eventTimeMs: now }));
      expected.add(idempotencyKey(`r-${i}`, now));
    }
    for (let i = 0; i < RECENT_PAIRS; i++) {
      recent.push(stack.startRecord({ id: `s-${i}`, timeoutSeconds: 20, eventTimeMs: now }));
      recent.push(stack.stopRecord(`s-${i}`, now + 1));
      stoppedIds.add(`s-${i}`);
    }
    for (let i = 0; i < PENDING; i++) {
      recent.push(
        stack.startRecord({ id: `p-${i}`, clientId: "pending-client", timeoutSeconds: 20, eventTimeMs: now }),
      );
      expected.add(idempotencyKey(`p-${i}`, now));
    }
    await stack.send(recent);
    await waitForCallbacks(HISTORY + RECENT_FIRED, "recent");
    const client = stack.client();
    const before = await client.listPending({ clientId: "pending-client" });
    expect(before).toMatchObject({ caughtUp: true });
    expect(before.pending).toHaveLength(PENDING);
    const timeoutsBefore = (await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts")))
      .length;

    // Dragonfly lost.
    const flushedAt = Date.now();
    await redis.client.flushall();
    let notCaughtUp = 0;
    let caughtUpAgainAfterMs = -1;
    let listedAfter = 0;
    while (Date.now() - flushedAt < 60_000) {
      const listed = await client.listPending({ clientId: "pending-client" });
      if (!listed.caughtUp) notCaughtUp++;
      else if (notCaughtUp > 0) {
        caughtUpAgainAfterMs = Date.now() - flushedAt;
        listedAfter = listed.pending.length;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notCaughtUp).toBeGreaterThan(0);
    expect(caughtUpAgainAfterMs).toBeGreaterThan(0);

    await waitForCallbacks(expected.size, "after the flush");
    await new Promise((r) => setTimeout(r, 3_000)); // late duplicates, if any, arrive now
    expect(accepted()).toEqual(expected);
    const forStopped = stack.receiver.received.filter((c) => stoppedIds.has(c.timeout.started?.transactionId ?? ""));
    expect(forStopped.map((c) => c.key)).toEqual([]);

    // The rebuild started after the history in every partition (bounded), not at the log start.
    const rebuilds = stack
      .service("timer")
      .output.join("")
      .split("\n")
      .filter((line) => line.includes("bounded rebuild"))
      .map((line) => JSON.parse(line) as { partition: number; startOffset: number; time?: number });
    const lastPerPartition = new Map(rebuilds.map((r) => [r.partition, r.startOffset]));
    for (const end of historyEnds) {
      expect(lastPerPartition.get(end.partition), `partition ${end.partition}`).toBeGreaterThanOrEqual(end.high);
    }

    // Every timeout record, by idempotency key: re-emissions are records beyond the first per key.
    const timeouts = await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts"));
    const perKey = new Map<string, number>();
    for (const record of timeouts) {
      const { message } = await stack.platform.codec.decode<TransactionTimedOut>(record, TransactionTimedOutSchema);
      perKey.set(message.idempotencyKey, (perKey.get(message.idempotencyKey) ?? 0) + 1);
    }
    const reEmitted = timeouts.length - perKey.size;
    expect(new Set(perKey.keys())).toEqual(expected);
    expect(reEmitted).toBeLessThanOrEqual(PENDING);
    console.log(
      JSON.stringify({
        history: HISTORY,
        historyEnds: historyEnds.map((e) => `${e.partition}:${e.high}`).join(" "),
        rebuildStartOffsets: Object.fromEntries(lastPerPartition),
        expectedCallbacks: expected.size,
        acceptedCallbacks: accepted().size,
        callbacksReceived: stack.receiver.received.length,
        timeoutRecordsBeforeFlush: timeoutsBefore,
        timeoutRecords: timeouts.length,
        reEmitted,
        pendingAtFlush: PENDING,
        listPendingNotCaughtUp: notCaughtUp,
        caughtUpAgainAfterMs,
        listedPendingWhenCaughtUp: listedAfter,
      }),
    );
  });
});
