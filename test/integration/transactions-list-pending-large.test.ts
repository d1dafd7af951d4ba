import { toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListPendingResponseSchema } from "../../gen/transactions/v1/transaction_service_pb.js";
import { transactionTimerKeys } from "../../processors/transaction-timer/index.js";
import { offsetField } from "../../runtime/state/redis-state-store.js";
import { runCli } from "../helpers/run-command.js";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// Issue 13 (benchmark finding): with 1,000,000 pending (100 clients × 10,000), ListPending of one
// client answered nothing. One client here holds BIG pending Starts (written straight to
// `transactions`, as bench/timer-scale-bench.ts does), another a few: the big client's list must
// come back whole, across pages, and the small client's in one page as before.
const BIG = 12_000;
const SMALL = 7;
const HEAVY = 80; // × 60 kB payloads: 4.8 MB, more than one page can hold

const stack = new TransactionsStack("txnbig");
beforeAll(async () => {
  await stack.setUp();
  await stack.start("timer", "gateway");
}, 120_000);
afterAll(async () => {
  await stack.close();
});

describe("ListPending of a client with many pending transactions", () => {
  it(`returns all ${BIG} pending of one client, page by page, and a small client's in one page`, {
    timeout: 120_000,
  }, async () => {
    const now = Date.now();
    const records = [];
    const expected: string[] = [];
    for (let i = 0; i < BIG; i++) {
      const id = `big-${String(i).padStart(6, "0")}`;
      expected.push(id);
      records.push(
        stack.startRecord({ id, clientId: "big-client", timeoutSeconds: 3_600, eventTimeMs: now + (i % 1_000) }),
      );
    }
    for (let i = 0; i < SMALL; i++) {
      records.push(
        stack.startRecord({ id: `small-${i}`, clientId: "small-client", timeoutSeconds: 3_600, eventTimeMs: now }),
      );
    }
    // Starts with payloads near TRANSACTION_MAX_PAYLOAD_BYTES: pages stop at the byte budget.
    const bulky = `{"blob":"${"x".repeat(60_000)}"}`;
    for (let i = 0; i < HEAVY; i++) {
      records.push(
        stack.startRecord({
          id: `heavy-${i}`,
          clientId: "heavy-client",
          timeoutSeconds: 3_600,
          eventTimeMs: now,
          payload: bulky,
        }),
      );
    }
    for (let i = 0; i < records.length; i += 500) await stack.send(records.slice(i, i + 500));
    const topic = stack.platform.topic("transactions");
    const ends = await stack.platform.kafka.partitionOffsets(topic);
    const offsetsKey = transactionTimerKeys(stack.namespace).offsets;
    await waitUntil(
      async () => {
        const stored = await stack.redis.hgetall(offsetsKey);
        return ends.every((e) => e.high === e.low || Number(stored[offsetField(topic, e.partition)] ?? -1) >= e.high);
      },
      { timeoutMs: 90_000, describe: () => stack.diagnose() },
    );
    // The timer holds them all (its per-client index, summed over its hashes).
    const indexSizes = await Promise.all(
      transactionTimerKeys(stack.namespace)
        .clientBuckets("big-client")
        .map((key) => stack.redis.hlen(key)),
    );
    expect(indexSizes.reduce((a, b) => a + b, 0)).toBe(BIG);

    const client = stack.client();
    const gatewayUrl = `http://127.0.0.1:${stack.service("gateway").port}`;
    const listed: string[] = [];
    let pageToken = "";
    let pages = 0;
    const startedAt = performance.now();
    do {
      const page = await client.listPending({ clientId: "big-client", pageToken, pageSize: 1_000 });
      expect(page.caughtUp).toBe(true);
      expect(page.pending.length).toBeLessThanOrEqual(1_000);
      expect(page.totalSize).toBe(BIG);
      listed.push(...page.pending.map((p) => p.transactionId));
      for (const p of page.pending) expect(p.clientId).toBe("big-client");
      pageToken = page.nextPageToken;
      pages++;
      expect(pages).toBeLessThanOrEqual(BIG / 1_000 + 1);
    } while (pageToken !== "");
    const pagedMs = Math.round(performance.now() - startedAt);
    expect(listed).toHaveLength(BIG);
    expect(new Set(listed).size).toBe(BIG);
    expect([...listed].sort()).toEqual(expected);

    // Without a page size: the default page, never an empty answer or an error.
    const first = await client.listPending({ clientId: "big-client" });
    expect(first.pending.length).toBeGreaterThan(0);
    expect(first.nextPageToken).not.toBe("");

    // Over plain JSON, as the benchmark called it.
    const json = (await (
      await fetch(`${gatewayUrl}/transactions.v1.TransactionService/ListPending`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_id: "big-client", page_size: 5_000 }),
      })
    ).json()) as { pending?: unknown[]; nextPageToken?: string; totalSize?: number };
    expect(json.pending?.length).toBe(5_000);
    expect(json.totalSize).toBe(BIG);
    expect(json.nextPageToken).toBeTruthy();

    // A token is bound to its client and must be one ListPending returned.
    await expect(client.listPending({ clientId: "small-client", pageToken: first.nextPageToken })).rejects.toThrow(
      /invalid_argument.*page_token: belongs to another client_id/,
    );
    await expect(client.listPending({ clientId: "big-client", pageToken: "not-a-token" })).rejects.toThrow(
      /invalid_argument.*page_token/,
    );

    // `tributary txn pending` follows the pages and prints one answer, as before pages existed.
    const cli = await runCli(["txn", "pending", "--client", "big-client", "--url", gatewayUrl]);
    expect(cli.code, cli.stderr).toBe(0);
    const printed = JSON.parse(cli.stdout) as { pending: { transactionId: string }[]; caughtUp: boolean };
    expect(printed.pending.map((p) => p.transactionId)).toEqual(expected);
    expect(printed.caughtUp).toBe(true);

    const heavyPages: { items: number; bytes: number }[] = [];
    let heavyToken = "";
    const heavyIds: string[] = [];
    do {
      const page = await client.listPending({ clientId: "heavy-client", pageToken: heavyToken });
      heavyPages.push({ items: page.pending.length, bytes: toBinary(ListPendingResponseSchema, page).length });
      heavyIds.push(...page.pending.map((p) => p.transactionId));
      heavyToken = page.nextPageToken;
    } while (heavyToken !== "" && heavyPages.length < 10);
    expect(new Set(heavyIds).size).toBe(HEAVY);
    expect(heavyIds).toHaveLength(HEAVY);
    expect(heavyPages.length).toBeGreaterThan(1);
    for (const page of heavyPages) expect(page.bytes).toBeLessThan(4 * 1024 * 1024);

    const small = await client.listPending({ clientId: "small-client" });
    expect(small.pending.map((p) => p.transactionId)).toEqual(Array.from({ length: SMALL }, (_, i) => `small-${i}`));
    expect(small.nextPageToken).toBe("");
    console.log(
      JSON.stringify({
        pending: BIG,
        pages,
        pagedMs,
        listed: listed.length,
        firstPageDefault: first.pending.length,
        heavyPages,
      }),
    );
  });
});
