import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostbackReceiver } from "../helpers/postback-receiver.js";
import { PostbacksStack } from "../helpers/postbacks-stack.js";
import { readTopic } from "../helpers/read-topic.js";
import { waitUntil } from "../helpers/wait-until.js";

// kill -9 of postback-delivery, again and again, while 5,000 deliveries go to two partners that
// refuse first attempts at random. Every delivery must end delivered once in effect (receivers
// dedupe by webhook-id), the attempt log must have no gap and no duplicate attempt number, and
// no delivery may start its schedule over after a restart.
const DELIVERIES = Number(process.env.POSTBACK_CRASH_DELIVERIES ?? 5_000);
const REQUESTS = 10;
const KILLS = 4;
// The first delay is well above the commit interval (200 ms): an attempt is committed before the
// next one is due, so a partner seeing attempt numbers go back means a schedule restarted from
// scratch, not an uncommitted attempt made again (which only repeats the same number).
const DELAYS_MS = [1_000, 1_500, 2_000, 3_000];

const stack = new PostbacksStack("pbcrash");
const partners: PostbackReceiver[] = [];
// First attempt refused 30 % of the time, the second 10 %: the third always passes.
const flaky = (_p: unknown, nth: number) =>
  nth === 1 && Math.random() < 0.3 ? 503 : nth === 2 && Math.random() < 0.1 ? 500 : 200;

beforeAll(async () => {
  partners.push(await PostbackReceiver.start(flaky), await PostbackReceiver.start(flaky));
  await stack.setUp({ POSTBACK_DELIVERY_RETRY_DELAYS_MS: DELAYS_MS.join(",") });
  await stack.start("gateway", "delivery");
}, 180_000);
afterAll(async () => {
  await stack.close();
  for (const p of partners) await p.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

describe("postbacks under kill -9", () => {
  it(`${DELIVERIES} deliveries, postback-delivery killed ${KILLS} times`, { timeout: 420_000 }, async () => {
    const ids: string[] = [];
    const load = (async () => {
      for (let r = 0; r < REQUESTS; r++) {
        const partner = partners[r % partners.length] as PostbackReceiver;
        const data = Array.from({ length: DELIVERIES / REQUESTS }, (_, i) => ({ r, i }));
        const { status, json } = await stack.submit({
          endpoint: { method: r % 2 === 0 ? "GET" : "POST", url: `${partner.url("/cb")}?r={r}&i={i}` },
          data,
        });
        expect(status, JSON.stringify(json)).toBe(200);
        ids.push(...(json.deliveryIds as string[]));
        await sleep(400);
      }
    })();
    const kills: string[] = [];
    const chaos = (async () => {
      const delivery = stack.service("delivery");
      for (let k = 0; k < KILLS; k++) {
        await sleep(between(1_500, 4_000));
        await delivery.kill9();
        kills.push(new Date().toISOString());
        await sleep(between(200, 1_000));
        await delivery.spawn(false);
      }
    })();
    await Promise.all([load, chaos]);
    expect(kills).toHaveLength(KILLS);
    expect(ids).toHaveLength(DELIVERIES);

    const accepted = () => ids.filter((id) => partners.some((p) => p.accepted.has(id))).length;
    await waitUntil(() => accepted() === DELIVERIES, {
      timeoutMs: 240_000,
      intervalMs: 500,
      describe: () =>
        `${accepted()} of ${DELIVERIES} delivered; ${stack.service("delivery").output.slice(-3).join("")}`,
    });
    await waitUntil(async () => (await stack.statusCounts()).delivered === DELIVERIES, {
      timeoutMs: 60_000,
      describe: async () => JSON.stringify(await stack.statusCounts()),
    });

    // The attempt log: 1..n per delivery, the last one delivered, the others retries.
    const log = await stack.attempts();
    const byId = new Map<string, typeof log>();
    for (const row of log) byId.set(row.delivery_id, [...(byId.get(row.delivery_id) ?? []), row]);
    expect(byId.size).toBe(DELIVERIES);
    const problems: string[] = [];
    for (const [id, rows] of byId) {
      rows.forEach((row, i) => {
        if (row.attempt !== i + 1) problems.push(`${id}: attempt ${row.attempt} at position ${i + 1}`);
        const last = i === rows.length - 1;
        if (last !== (row.result === "delivered")) problems.push(`${id}: attempt ${row.attempt} result ${row.result}`);
        // Continued, not restarted: each attempt starts no earlier than the previous one's due time.
        const previous = rows[i - 1];
        if (previous?.next_ms != null && row.started_ms < previous.next_ms - 50) {
          problems.push(`${id}: attempt ${row.attempt} at ${row.started_ms} before its due time ${previous.next_ms}`);
        }
      });
    }
    // What partners saw: attempt numbers of one delivery never go back (a restarted schedule would).
    let duplicateCalls = 0;
    let calls = 0;
    for (const p of partners) {
      duplicateCalls += p.duplicates;
      calls += p.received.length;
      const seen = new Map<string, number>();
      for (const call of p.received) {
        if (call.attempt < (seen.get(call.id) ?? 0))
          problems.push(`${call.id}: attempt ${call.attempt} after ${seen.get(call.id)}`);
        seen.set(call.id, Math.max(call.attempt, seen.get(call.id) ?? 0));
      }
    }
    const dead = await readTopic(stack.platform.kafka, stack.platform.topic("postbacks.dlq"));
    const retried = [...byId.values()].filter((rows) => rows.length > 1).length;
    console.log(
      JSON.stringify({
        deliveries: DELIVERIES,
        kills,
        httpCalls: calls,
        loggedAttempts: log.length,
        deliveriesRetried: retried,
        duplicateCallsAfterAccept: duplicateCalls,
        deadLetters: dead.length,
        attemptStatuses: Object.fromEntries(
          [...new Set(log.map((r) => r.status))].map((st) => [st, log.filter((r) => r.status === st).length]),
        ),
      }),
    );
    expect(problems.slice(0, 20)).toEqual([]);
    expect(dead).toHaveLength(0);
    expect(retried).toBeGreaterThan(DELIVERIES * 0.2);
    // A crash between a call and its commit repeats what was not committed: the calls in flight
    // (POSTBACK_DELIVERY_MAX_CONCURRENT, 256 by default) plus those answered within the last
    // commit interval (200 ms). 4 kills × 256 = 1,024 is the worst case of the first part alone;
    // 715 of 5,000 was measured once (kills at peak), under 500 in other runs. Not a re-send of
    // everything (postbacks are at-least-once HTTP calls; the seed's partners accept repeats).
    expect(duplicateCalls).toBeLessThan(DELIVERIES * 0.2);
  });
});
