import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idempotencyKey } from "../../processors/transaction-timer/index.js";
import { queryOne } from "../helpers/databases.js";
import { readTopic } from "../helpers/read-topic.js";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// The seed's author saw unwanted callbacks "if the system is loaded with too many messages". Here
// the timer is frozen (SIGSTOP) for longer than the timeout while Starts and Stops pile up in
// Kafka; when it resumes, processing time is past every deadline, yet only the Starts without a
// Stop may be called back: event time decides, not the time the backlog is read.
const PAIRS = 10_000;
const LONE = 1_000;
/** Stops that reach Kafka only after their deadline, carrying an event time before it. */
const LATE_STOPS = 500;
const TIMEOUT_S = 5;

const stack = new TransactionsStack("txnlag");
beforeAll(async () => {
  await stack.setUp();
  await stack.start("timer", "dispatcher", "sink");
}, 120_000);
afterAll(() => stack.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a lagging timer never fires early", () => {
  it(`${PAIRS} start/stop pairs and ${LONE} lone starts while the timer is stopped → exactly ${LONE} callbacks`, {
    timeout: 180_000,
  }, async () => {
    const timer = stack.service("timer");
    // Warm-up: the timer owns its partitions and is caught up before it is frozen.
    const warm = Date.now();
    await stack.send([stack.startRecord({ id: "warm", timeoutSeconds: 1, eventTimeMs: warm })]);
    await waitUntil(() => stack.receiver.forTransaction("warm").length === 1, {
      timeoutMs: 20_000,
      describe: () => "warm-up callback",
    });

    process.kill(timer.pid ?? 0, "SIGSTOP");
    const frozenAt = Date.now();
    const starts = new Map<string, number>();
    const records = [];
    for (let i = 0; i < PAIRS + LONE; i++) {
      const id = i < PAIRS ? `pair-${i}` : `lone-${i - PAIRS}`;
      const eventTimeMs = Date.now();
      starts.set(id, eventTimeMs);
      records.push(stack.startRecord({ id, timeoutSeconds: TIMEOUT_S, eventTimeMs }));
    }
    await stack.send(records);
    // Stops for all pairs but the late ones, stamped now: before their deadlines.
    await stack.send(
      [...starts.keys()]
        .filter((id) => id.startsWith("pair-") && Number(id.slice(5)) >= LATE_STOPS)
        .map((id) => stack.stopRecord(id, Date.now())),
    );
    const sentAt = Date.now();
    expect(sentAt - frozenAt, "stops must be sent before the first deadline").toBeLessThan(TIMEOUT_S * 1000);
    // Wait until every deadline has passed in processing time, then send the late Stops with an
    // event time 2 s after their Start (before the deadline).
    const lastDeadline = Math.max(...starts.values()) + TIMEOUT_S * 1000;
    await sleep(lastDeadline - Date.now() + 500);
    await stack.send(
      Array.from({ length: LATE_STOPS }, (_, i) =>
        stack.stopRecord(`pair-${i}`, (starts.get(`pair-${i}`) ?? 0) + 2_000),
      ),
    );
    await sleep(1_000);
    const frozenMs = Date.now() - frozenAt;
    expect(frozenMs).toBeGreaterThan(TIMEOUT_S * 1000 + 1_000);
    expect(stack.receiver.received.length, "nothing may fire while the timer is stopped").toBe(1);
    process.kill(timer.pid ?? 0, "SIGCONT");

    const expected = new Set(
      [...starts].filter(([id]) => id.startsWith("lone-")).map(([id, t]) => idempotencyKey(id, t)),
    );
    const loneKeys = () => new Set([...stack.receiver.acceptedKeys()].filter((k) => k.startsWith("lone-")));
    await waitUntil(() => loneKeys().size === LONE, {
      timeoutMs: 90_000,
      describe: () => `${loneKeys().size} of ${LONE} lone callbacks; timer: ${timer.output.slice(-3).join("")}`,
    });
    // Nothing more can come, without sleeping on it: the timer holds no timer any more, and the
    // timeouts topic (the only source of callbacks) holds exactly the lone Starts' records.
    await waitUntil(async () => (await stack.timerKeys()).length === 0, {
      timeoutMs: 30_000,
      describe: async () => `timer keys left: ${(await stack.timerKeys()).join(", ")}`,
    });
    const fired = await readTopic(stack.platform.kafka, stack.platform.topic("transactions.timeouts"));
    const loneIds = new Set([...starts.keys()].filter((id) => id.startsWith("lone-")));
    expect(new Set(fired.map((r) => r.key).filter((k) => k?.startsWith("lone-")))).toEqual(loneIds);
    expect(fired.filter((r) => r.key?.startsWith("pair-")).map((r) => r.key)).toEqual([]);
    const callbacks = stack.receiver.received.filter((c) => c.key !== idempotencyKey("warm", warm));
    const forStopped = callbacks.filter((c) => !c.key.startsWith("lone-"));
    expect(forStopped.map((c) => c.key)).toEqual([]);
    expect(loneKeys()).toEqual(expected);
    expect(callbacks).toHaveLength(LONE);

    // Outcomes in Postgres: every pair completed (the late-arriving Stops too), every lone Start called back.
    const outcomes = async () =>
      queryOne<{ completed: string; delivered: string }>(
        stack.databaseUrl,
        `SELECT count(*) FILTER (WHERE outcome = 'completed' AND transaction_id LIKE 'pair-%') AS completed,
                count(*) FILTER (WHERE outcome = 'callback_delivered' AND transaction_id LIKE 'lone-%') AS delivered
         FROM transaction_outcomes`,
      );
    await waitUntil(
      async () => {
        const o = await outcomes();
        return Number(o?.completed) === PAIRS && Number(o?.delivered) === LONE;
      },
      { timeoutMs: 30_000, describe: async () => JSON.stringify(await outcomes()) },
    );
    expect(await stack.timerKeys()).toEqual([]);
    console.log(JSON.stringify({ frozenMs, callbacks: callbacks.length, forStopped: forStopped.length }));
  });
});
