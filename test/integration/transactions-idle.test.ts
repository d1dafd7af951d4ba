import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// No later record will ever advance these partitions' event-time watermark: once the timer has
// read everything up to the end offsets, processing time takes over. Default timer settings.
const stack = new TransactionsStack("txnidle");
beforeAll(async () => {
  await stack.setUp();
  await stack.start("gateway", "timer", "dispatcher");
}, 120_000);
afterAll(() => stack.close());

describe("idle partitions", () => {
  it("fire a lone Start's timer, never early and exactly once, once caught up (default settings)", {
    timeout: 60_000,
  }, async () => {
    const client = stack.client();
    const callback = stack.receiver.target();
    await client.start({ clientId: "idle", transactionId: "warm", callbackTarget: callback, timeoutSeconds: 1 });
    await waitUntil(() => stack.receiver.forTransaction("warm").length === 1, {
      timeoutMs: 20_000,
      describe: () => "warm-up callback",
    });

    const TIMEOUT_S = 2;
    const started: { id: string; deadlineMs: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const id = `idle-${i}`;
      const response = await client.start({
        clientId: "idle",
        transactionId: id,
        callbackTarget: callback,
        timeoutSeconds: TIMEOUT_S,
      });
      started.push({ id, deadlineMs: Number(response.deadlineMs) });
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitUntil(() => started.every((s) => stack.receiver.forTransaction(s.id).length > 0), {
      timeoutMs: 20_000,
      describe: () =>
        `${started.filter((s) => stack.receiver.forTransaction(s.id).length > 0).length} of ${started.length}`,
    });
    const latencies = started.map((s) => {
      const [first, ...more] = stack.receiver.forTransaction(s.id);
      expect(more).toEqual([]);
      return (first?.receivedAtMs ?? 0) - s.deadlineMs;
    });
    // Never early. How soon after the deadline is a property of the caught-up rule, proven on a
    // manual clock (timer-task.spec.ts); here the real stack only has to deliver each one, once.
    for (const latency of latencies) expect(latency).toBeGreaterThanOrEqual(0);
    console.log(JSON.stringify({ deadlineToCallbackMs: latencies.sort((a, b) => a - b) }));
  });
});
