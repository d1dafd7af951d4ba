import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostbackReceiver } from "../helpers/postback-receiver.js";
import { PostbacksStack } from "../helpers/postbacks-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// One partner never answers, one answers at once. Deliveries to the hanging one hold at most
// its per-host share of the workers (cap + bounded queue, then an open circuit), so the healthy
// partner's deliveries all arrive before the first call to the hanging one even times out.
const PER_PARTNER = 400;
const REQUEST_TIMEOUT_MS = 4_000;
const PER_HOST = 8;
const QUEUED = 8;

const stack = new PostbacksStack("pbslow");
let hanging: PostbackReceiver;
let healthy: PostbackReceiver;

beforeAll(async () => {
  hanging = await PostbackReceiver.start(() => "hang");
  healthy = await PostbackReceiver.start(() => 200);
  await stack.setUp({
    POSTBACK_DELIVERY_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    POSTBACK_DELIVERY_MAX_CONCURRENT: "64",
    OUTBOUND_MAX_PER_HOST: String(PER_HOST),
    OUTBOUND_MAX_QUEUED_PER_HOST: String(QUEUED),
    OUTBOUND_SLOW_AFTER_MS: "500",
    OUTBOUND_CIRCUIT_FAILURES: "3",
  });
  await stack.start("gateway", "delivery");
}, 180_000);
afterAll(async () => {
  await stack.close();
  await hanging.close();
  await healthy.close();
});

describe("a hanging partner does not slow a healthy one", () => {
  it(`${PER_PARTNER} deliveries to each, the hanging partner submitted first`, { timeout: 120_000 }, async () => {
    const submit = async (partner: PostbackReceiver) => {
      const { status, json } = await stack.submit({
        endpoint: { method: "GET", url: `${partner.url("/p")}?i={i}` },
        data: Array.from({ length: PER_PARTNER }, (_, i) => ({ i })),
      });
      expect(status, JSON.stringify(json)).toBe(200);
      return { ids: json.deliveryIds as string[], atMs: Date.now() };
    };
    const p50 = (ids: readonly string[], fromMs: number) => {
      const ms = ids.map((id) => (healthy.accepted.get(id)?.atMs ?? Number.NaN) - fromMs).sort((a, b) => a - b);
      return ms[Math.floor(ms.length / 2)];
    };
    // Baseline: the healthy partner alone.
    const alone = await submit(healthy);
    await waitUntil(() => alone.ids.every((id) => healthy.accepted.has(id)), {
      timeoutMs: 60_000,
      describe: () => `${healthy.accepted.size} of ${PER_PARTNER} baseline deliveries arrived`,
    });
    const baselineP50Ms = p50(alone.ids, alone.atMs);
    const slow = await submit(hanging);
    const fast = await submit(healthy);
    await waitUntil(() => fast.ids.every((id) => healthy.accepted.has(id)), {
      timeoutMs: 60_000,
      describe: () =>
        `${fast.ids.filter((id) => healthy.accepted.has(id)).length} of ${PER_PARTNER} healthy deliveries arrived`,
    });
    const lastHealthyMs = Math.max(...fast.ids.map((id) => healthy.accepted.get(id)?.atMs ?? 0));
    const firstHangingMs = Math.min(...hanging.received.map((p) => p.atMs));
    console.log(
      JSON.stringify({
        baselineP50Ms,
        healthyP50Ms: p50(fast.ids, fast.atMs),
        healthyDeliveredWithinMs: lastHealthyMs - fast.atMs,
        hangingCallsOpen: hanging.hangingCount(),
        hangingFirstCallToLastHealthyMs: lastHealthyMs - firstHangingMs,
      }),
    );
    // Ordering, not speed: every healthy delivery arrived before the first hanging call could
    // even time out, and the hanging partner never held more calls than its per-host cap.
    expect(lastHealthyMs).toBeLessThan(firstHangingMs + REQUEST_TIMEOUT_MS);
    expect(hanging.hangingCount()).toBeLessThanOrEqual(PER_HOST);
    expect(hanging.received.length).toBeGreaterThan(0);
    expect(slow.ids).toHaveLength(PER_PARTNER);

    // Afterwards the hanging partner's circuit opens: its deliveries fail fast and wait for retries.
    await waitUntil(async () => (await stack.attempts()).some((a) => a.status === "circuit_open"), {
      timeoutMs: 30_000,
      describe: async () => JSON.stringify([...new Set((await stack.attempts()).map((a) => a.status))]),
    });
    const metrics = await (await fetch(`http://127.0.0.1:${stack.service("delivery").port}/metrics`)).text();
    expect(metrics).toMatch(/tributary_outbound_open_circuits\{[^}]*\} 1/);
  });
});
