import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, dropDatabase } from "../helpers/databases.js";
import { KafkaCutProxy } from "../helpers/kafka-cut-proxy.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { stackEnv, uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

// After a broker restart, ping-counter and messages-sink ignored SIGTERM until the 25 s grace
// timer (or stack.sh's SIGKILL at 30 s). Each service here reaches the broker through its own
// proxy, which is cut and restored (the shared broker keeps running for everyone else); then the
// service gets SIGTERM and must exit cleanly (code 0) well inside the grace period.
const SERVICES = {
  "ping-counter": "dist/processors/ping-counter/main.js",
  "messages-sink": "dist/sinks/messages/main.js",
} as const;
/** Below the 25 s grace timer, whose expiry exits with code 1. */
const STOP_BOUND_MS = 15_000;

const id = uniqueId("shutdown");
const platform = new TestPlatform(`${id}.`);
let databaseUrl = "";

beforeAll(async () => {
  await platform.createTopics();
  databaseUrl = await createDatabase(id);
});
afterAll(async () => {
  await platform.close();
  await dropDatabase(id);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints the exit and the shutdown lines (steps that timed out, the grace timer). */
function report(name: string, when: string, code: number | null, tookMs: number, service: ServiceProcess): void {
  const steps = service.output
    .join("")
    .split("\n")
    .filter((l) => /shutting down|cleanup|shutdown|timed out|grace/.test(l));
  console.log(`${name} (${when}): SIGTERM → exit ${code} after ${tookMs} ms\n${steps.join("\n")}`);
  if (process.env.SHUTDOWN_TEST_DUMP !== undefined)
    writeFileSync(`${process.env.SHUTDOWN_TEST_DUMP}-${name}.log`, service.output.join(""));
}

describe("SIGTERM after a broker restart", () => {
  for (const [name, entry] of Object.entries(SERVICES))
    for (const when of ["during the outage", "after the restart"] as const) {
      it(`${name} (${when}) exits with code 0 within ${STOP_BOUND_MS} ms`, { timeout: 180_000 }, async () => {
        const proxy = await KafkaCutProxy.start(stackEnv.KAFKA_BROKERS);
        const service = await ServiceProcess.start(entry, {
          KAFKA_BROKERS: proxy.address,
          TOPIC_PREFIX: `${id}.`,
          STATE_NAMESPACE: `${id}:${name}:`,
          DATABASE_URL: databaseUrl,
          PING_COUNTER_GROUP_ID: `${id}-counter`,
          MESSAGES_SINK_GROUP_ID: `${id}-messages`,
          LOG_LEVEL: "info",
        });
        try {
          await sleep(3_000);
          await proxy.cut();
          await sleep(when === "during the outage" ? 8_000 : 15_000);
          if (when === "during the outage") {
            const t0 = Date.now();
            const code = await service.stop();
            report(name, when, code, Date.now() - t0, service);
            expect(code, service.output.join("").slice(-4_000)).toBe(0);
            return;
          }
          await proxy.restore();
          // Back: the service answers /readyz again once its consumer and probes see the broker.
          await waitUntil(async () => (await fetch(`http://127.0.0.1:${service.port}/readyz`)).ok, {
            timeoutMs: 60_000,
            describe: () => `${name} not ready again:\n${service.output.join("").slice(-2_000)}`,
          });
          await sleep(5_000);
          const t0 = Date.now();
          const code = await service.stop();
          report(name, when, code, Date.now() - t0, service);
          expect(code, service.output.join("").slice(-4_000)).toBe(0);
        } finally {
          await service.stop();
          await proxy.close();
        }
      });
    }
});
