import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Caller, runSimulation } from "../../testkit/load/index.js";
import { NotificationsStack } from "../helpers/notifications-stack.js";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

// Restarts the stack's Kafka broker: every other test on the machine sees the outage, so this
// runs only when asked (TRIBUTARY_CHAOS=1), never in the default suite.
const enabled = process.env.TRIBUTARY_CHAOS === "1";

/** Runs stack/stack.sh's own functions (everything above its `case`), e.g. "stop_pid kafka". */
async function stackFunctions(commands: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-chaos-"));
  try {
    const script = readFileSync(join(repoRoot, "stack", "stack.sh"), "utf8");
    const cut = script.search(/^case /m);
    writeFileSync(join(dir, "stack-functions.sh"), cut < 0 ? script : script.slice(0, cut));
    // stack.sh sources env.sh from its own folder.
    symlinkSync(join(repoRoot, "stack", "env.sh"), join(dir, "env.sh"));
    const result = await runCommand("bash", ["-c", `source ${join(dir, "stack-functions.sh")}; ${commands}`], {
      env: { TRIBUTARY_ROOT: repoRoot },
      timeoutMs: 180_000,
    });
    if (result.code !== 0) throw new Error(`stack functions failed (${result.code}): ${result.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stack = new NotificationsStack();
describe.skipIf(!enabled)("notifications through a broker restart (TRIBUTARY_CHAOS=1)", () => {
  beforeAll(async () => {
    await stack.setUp();
    await Promise.all([stack.startGateway(), stack.startLogger()]);
  }, 120_000);
  afterAll(() => stack.close());

  it("errors only during the outage, /event recovers by itself, every acked event is stored", {
    timeout: 600_000,
  }, async () => {
    const gatewayPid = stack.gateway?.pid;
    // Wide pool and long timeout: requests hang while kafkajs retries (up to ~40 s) and must not
    // starve the pool of the sends that show when the gateway is back.
    const caller = new Caller({ baseUrl: stack.gatewayUrl, protocol: "http", concurrency: 256, timeoutMs: 60_000 });
    const outcomes: { phase: "outage" | "after"; i: number; ok: boolean; code?: string; atMs: number }[] = [];
    const start = Date.now();
    const send = (phase: "outage" | "after", offset: number) => async (i: number) => {
      const n = offset + i;
      const outcome = await caller.postJson("/event", JSON.stringify({ id: n + 1, description: `chaos-${n}` }));
      outcomes.push({
        phase,
        i: n,
        ok: outcome.ok,
        ...(outcome.ok ? {} : { code: outcome.code }),
        atMs: Date.now() - start,
      });
      return outcome;
    };

    // Phase 1: steady traffic; the broker is stopped after 5 s and started again.
    const stopPhase1 = new AbortController();
    const phase1 = runSimulation(
      { ratePerS: 50, durationMs: 300_000, rampMs: 0, concurrency: 256 },
      send("outage", 0),
      {
        signal: stopPhase1.signal,
      },
    );
    await new Promise((r) => setTimeout(r, 5_000));
    const outageFromMs = Date.now() - start;
    await stackFunctions("stop_pid kafka; start_kafka");
    const brokerBackMs = Date.now() - start;
    // /event recovers by itself: poll until one succeeds, without touching the gateway.
    await waitUntil(
      async () =>
        (
          await fetch(`${stack.gatewayUrl}/event`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: '{"id": 123, "description": "hello world"}',
          })
        ).status === 200,
      { timeoutMs: 90_000, intervalMs: 1_000, describe: () => "/event did not recover" },
    );
    const recoveredMs = Date.now() - start;
    await new Promise((r) => setTimeout(r, 3_000));
    stopPhase1.abort();
    const first = await phase1;

    // Phase 2: after recovery, every send succeeds.
    const second = await runSimulation(
      { ratePerS: 50, durationMs: 10_000, rampMs: 0, concurrency: 64 },
      send("after", first.sent),
    );
    await caller.close();
    process.stdout.write(
      `chaos: outage from ${outageFromMs} ms, broker back ${brokerBackMs} ms, /event ok again ${recoveredMs} ms; ` +
        `phase 1 sent ${first.sent} ok ${first.ok} failed ${JSON.stringify(first.errors)}; ` +
        `phase 2 sent ${second.sent} ok ${second.ok} failed ${second.failed}\n`,
    );
    // A short outage may cost no error at all (the producer retries within its budget, ~40 s);
    // what must hold is that any error falls inside the outage, and none after recovery.
    for (const f of outcomes.filter((o) => !o.ok)) {
      expect(f.phase).toBe("outage");
      expect(f.atMs).toBeGreaterThanOrEqual(outageFromMs);
    }
    expect(second.sent).toBeGreaterThan(0);
    expect(second.failed).toBe(0);
    expect(stack.gateway?.pid).toBe(gatewayPid);
    expect(stack.gateway?.running).toBe(true);

    // Every acknowledged event reached the consumer's table, once.
    const logger = stack.loggers[0];
    if (logger !== undefined && !logger.running) {
      // The consumer service exits on a fatal consumer error so that its supervisor restarts it.
      process.stdout.write(`chaos: notification-logger exited (${await logger.exited()}); restarting it\n`);
      await logger.spawn();
    }
    const acked = outcomes.filter((o) => o.ok).map((o) => `chaos-${o.i}`);
    const stored = async () =>
      Number(
        (
          await stack
            .pool()
            .query<{ n: string }>(
              "SELECT count(DISTINCT description) AS n FROM notifications WHERE description = ANY($1)",
              [acked],
            )
        ).rows[0]?.n,
      );
    await waitUntil(async () => (await stored()) === acked.length, {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `${await stored()} of ${acked.length} acked events stored`,
    });
    const duplicates = await stack
      .pool()
      .query("SELECT source_partition, source_offset FROM notifications GROUP BY 1, 2 HAVING count(*) > 1");
    expect(duplicates.rowCount).toBe(0);
  });
});
