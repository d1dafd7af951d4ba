import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockClientResult } from "../../testkit/index.js";
import { queryOne } from "../helpers/databases.js";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";
import { TransactionsStack } from "../helpers/transactions-stack.js";
import { waitUntil } from "../helpers/wait-until.js";

// The seed's mock client, run as the real CLI command against the gateway, timer, dispatcher and
// sink of this file's own namespace.
const stack = new TransactionsStack("txnmock");
beforeAll(async () => {
  await stack.setUp();
  await stack.start("gateway", "timer", "dispatcher", "sink");
}, 120_000);
afterAll(() => stack.close());

async function mockClient(args: string[]): Promise<{ result: MockClientResult; log: string }> {
  const run = await runCommand(
    process.execPath,
    [
      `${repoRoot}/dist/cli/main.js`,
      "mock-client",
      "--url",
      `http://127.0.0.1:${stack.service("gateway").port}`,
      ...args,
    ],
    { env: stack.env, timeoutMs: 110_000 },
  );
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  expect(line, run.stderr).toMatch(/^\{/);
  return { result: JSON.parse(line) as MockClientResult, log: run.stderr };
}

describe("the seed's mock-client scenario", () => {
  it("start+stop → 0 pending, no callback; start alone → one callback with its data; 1,000 pairs → no callback", {
    timeout: 120_000,
  }, async () => {
    const { result, log } = await mockClient(["--timeout-seconds", "5", "--pairs", "1000", "--grace-ms", "3000"]);
    expect(result.failures, log).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      pendingAfterPair: 0,
      pendingAfterLoneStart: 1,
      loneCallbacks: 1,
      burstPairs: 1000,
      burstCallbacks: 0,
      pendingAfterBurst: 0,
    });
    // The seed's log lines, in order.
    const lines = [
      "About to send a couple of messages",
      "Successfully published first start message",
      "Successfully published first stop message",
      "Checking no records left",
      "Returned 0 records",
      "Sending a Start without a Stop & waiting for the call-back",
      "Yay callback invoked!",
      "transaction callback invoked {mock-client test2",
      "Sending a group of starts & stops",
      "Finished sending starts & stops",
    ];
    let at = 0;
    for (const line of lines) {
      const found = log.indexOf(line, at);
      expect(found, `"${line}" in order in:\n${log}`).toBeGreaterThanOrEqual(0);
      at = found;
    }
    expect(log.match(/Yay callback invoked!/g)).toHaveLength(1);
    expect(result.loneCallbackLatencyMs).toBeGreaterThanOrEqual(0);

    // Every outcome is in Postgres: 1,001 completed, one callback delivered on the first attempt.
    const runId = result.runId;
    const outcomes = async () =>
      queryOne<{ completed: string; delivered: string; other: string }>(
        stack.databaseUrl,
        `SELECT count(*) FILTER (WHERE outcome = 'completed') AS completed,
                count(*) FILTER (WHERE outcome = 'callback_delivered') AS delivered,
                count(*) FILTER (WHERE outcome NOT IN ('completed', 'callback_delivered')) AS other
         FROM transaction_outcomes WHERE transaction_id LIKE $1`,
        [`${runId}-%`],
      );
    await waitUntil(async () => Number((await outcomes())?.completed) === 1001, {
      timeoutMs: 20_000,
      describe: async () => JSON.stringify(await outcomes()),
    });
    expect(await outcomes()).toEqual({ completed: "1001", delivered: "1", other: "0" });
    const callback = await queryOne<{ status: string; attempts: number; last_status: string }>(
      stack.databaseUrl,
      "SELECT status, attempts, last_status FROM transaction_callbacks WHERE transaction_id = $1",
      [`${runId}-abcdefg1235`],
    );
    expect(callback).toEqual({ status: "delivered", attempts: 1, last_status: "http 200" });
    // Nothing left pending in the timer's state.
    expect(await stack.timerKeys()).toEqual([]);
  });

  it("works the same with a Connect RPC CallbackService as the callback target", { timeout: 60_000 }, async () => {
    const { result, log } = await mockClient([
      "--timeout-seconds",
      "2",
      "--pairs",
      "100",
      "--grace-ms",
      "2000",
      "--callback",
      "connect",
    ]);
    expect(result.failures, log).toEqual([]);
    expect(log).toMatch(
      /transaction callback invoked \{mock-client test2 \S+ connect\+http:\/\/127\.0\.0\.1:\d+ .* via=connect\}/,
    );
    const row = async () =>
      queryOne<{ status: string; last_status: string }>(
        stack.databaseUrl,
        "SELECT status, last_status FROM transaction_callbacks WHERE transaction_id = $1",
        [`${result.runId}-abcdefg1235`],
      );
    await waitUntil(async () => (await row())?.status === "delivered", {
      timeoutMs: 10_000,
      describe: async () => JSON.stringify(await row()),
    });
    expect(await row()).toEqual({ status: "delivered", last_status: "connect ok" });
  });
});
