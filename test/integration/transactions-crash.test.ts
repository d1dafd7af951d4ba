import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idempotencyKey } from "../../processors/transaction-timer/index.js";
import { queryOne } from "../helpers/databases.js";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// kill -9 of the timer and of the dispatcher, again and again, while timeouts fire. A callback may
// come more than once (a crash between emitting/delivering and committing), always with the same
// idempotency key; none may be lost, and none may be for a stopped transaction.
const TRANSACTIONS = Number(process.env.TXN_CRASH_TRANSACTIONS ?? 3_000);
const RATE_PER_S = 150;
const TIMEOUT_S = 3;
const KILLS = 4;

const stack = new TransactionsStack("txncrash");
beforeAll(async () => {
  await stack.setUp({ CALLBACK_DISPATCHER_RETRY_BASE_MS: "200", CALLBACK_DISPATCHER_RETRY_MAX_DELAY_MS: "2000" });
  await stack.start("timer", "dispatcher");
}, 120_000);
afterAll(() => stack.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

describe("exactly the expected callbacks under kill -9", () => {
  it(`${TRANSACTIONS} transactions (1 in 3 without Stop), timer and dispatcher killed ${KILLS}+ times each`, {
    timeout: 300_000,
  }, async () => {
    const expected = new Set<string>();
    const stopped = new Set<string>();
    let loadDone = false;
    const load = (async () => {
      const startedAt = Date.now();
      const stopsDue: { id: string; at: number }[] = [];
      for (let i = 0; i < TRANSACTIONS || stopsDue.length > 0; ) {
        const now = Date.now();
        const batch = [];
        const dueCount = Math.min(TRANSACTIONS, Math.floor(((now - startedAt) / 1000) * RATE_PER_S));
        for (; i < dueCount; i++) {
          const id = `t-${i}`;
          batch.push(stack.startRecord({ id, timeoutSeconds: TIMEOUT_S, eventTimeMs: now }));
          if (i % 3 === 0) expected.add(idempotencyKey(id, now));
          else stopsDue.push({ id, at: now + 1_000 });
        }
        while (stopsDue.length > 0 && (stopsDue[0]?.at ?? 0) <= now) {
          const { id } = stopsDue.shift() as { id: string };
          batch.push(stack.stopRecord(id, now));
          stopped.add(id);
        }
        if (batch.length > 0) await stack.send(batch);
        await sleep(50);
      }
      loadDone = true;
    })();

    const kills: string[] = [];
    const chaos = (async () => {
      for (let round = 0; round < KILLS * 2; round++) {
        await sleep(between(1_500, 4_000));
        const name = round % 2 === 0 ? "timer" : "dispatcher";
        const service = stack.service(name);
        await service.kill9();
        kills.push(`${name}@${Date.now()}${loadDone ? " (after load)" : ""}`);
        await sleep(between(200, 1_000));
        await service.spawn(false);
      }
    })();
    await Promise.all([load, chaos]);
    expect(kills).toHaveLength(KILLS * 2);

    const accepted = () => stack.receiver.acceptedKeys();
    await waitUntil(() => [...expected].every((k) => accepted().has(k)), {
      timeoutMs: 150_000,
      describe: () =>
        `${[...expected].filter((k) => accepted().has(k)).length} of ${expected.size} keys; ` +
        `timer: ${stack.service("timer").output.slice(-3).join("")} dispatcher: ${stack.service("dispatcher").output.slice(-3).join("")}`,
    });
    await sleep(3_000);
    const received = stack.receiver.received;
    const forStopped = received.filter((c) => stopped.has(c.timeout.started?.transactionId ?? ""));
    expect(forStopped.map((c) => c.key)).toEqual([]);
    expect(accepted()).toEqual(expected);
    for (const c of received) expect(c.key).toBe(c.timeout.idempotencyKey);

    // The dispatcher's ledger ends with every key delivered; the timer's state is empty.
    const delivered = async () =>
      Number(
        (
          await queryOne<{ n: string }>(
            stack.databaseUrl,
            "SELECT count(*) AS n FROM transaction_callbacks WHERE status = 'delivered'",
          )
        )?.n,
      );
    await waitUntil(async () => (await delivered()) === expected.size, {
      timeoutMs: 30_000,
      describe: async () => `${await delivered()} delivered rows of ${expected.size}`,
    });
    await waitUntil(async () => (await stack.timerKeys()).length === 0, {
      timeoutMs: 10_000,
      describe: async () => `timer keys left: ${(await stack.timerKeys()).join(", ")}`,
    });
    console.log(
      JSON.stringify({
        transactions: TRANSACTIONS,
        expectedKeys: expected.size,
        callbacks: received.length,
        duplicates: received.length - accepted().size,
        kills,
      }),
    );
  });
});
