import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { createDatabase, dropDatabase, queryOne } from "../helpers/databases.js";
import { freePort, ServiceProcess } from "../helpers/service-process.js";
import { stackEnv, uniqueId } from "../helpers/stack-env.js";
import { TcpCutProxy } from "../helpers/tcp-cut-proxy.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

// The registry goes away for this test's services only (a proxy in front of the shared Apicurio
// is cut): a running pings-sink keeps storing pings on the schema it already fetched, and a
// pings-sink started meanwhile waits with a clear log line, then starts once the proxy is back.
const id = uniqueId("registry");
const platform = new TestPlatform(`${id}.`);
const registry = new URL(stackEnv.SCHEMA_REGISTRY_URL);
let proxy: TcpCutProxy;
let databaseUrl = "";
const started: ServiceProcess[] = [];

beforeAll(async () => {
  await platform.createTopics();
  databaseUrl = await createDatabase(id);
  proxy = await TcpCutProxy.start(registry.hostname, Number(registry.port));
});
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await proxy.close();
  await platform.close();
  await dropDatabase(id);
});

async function sendPings(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const pingId = randomUUID();
    await platform.send(
      "pings",
      PingRecordedSchema,
      create(PingRecordedSchema, { id: pingId, timestampMs: BigInt(Date.now()), acceptedAtMs: BigInt(Date.now()) }),
      pingId,
    );
  }
}

const storedRows = async () =>
  Number((await queryOne<{ n: string }>(databaseUrl, "SELECT count(*) AS n FROM pings"))?.n ?? 0);

describe("schema registry down", () => {
  it("running services keep working; a service started meanwhile waits and then starts", {
    timeout: 240_000,
  }, async () => {
    const env = {
      TOPIC_PREFIX: `${id}.`,
      STATE_NAMESPACE: `${id}:`,
      DATABASE_URL: databaseUrl,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${proxy.port}${registry.pathname}`,
      PINGS_SINK_GROUP_ID: `${id}-sink`,
      LOG_LEVEL: "info",
    };
    const running = await ServiceProcess.start("dist/sinks/pings/main.js", env);
    started.push(running);
    await sendPings(50);
    await waitUntil(async () => (await storedRows()) === 50, {
      timeoutMs: 60_000,
      describe: async () => `rows ${await storedRows()}`,
    });

    await proxy.cut();
    await sendPings(150);
    await waitUntil(async () => (await storedRows()) === 200, {
      timeoutMs: 60_000,
      describe: async () => `rows ${await storedRows()} while the registry is down`,
    });
    const duringOutage = await storedRows();

    // A second sink instance (same group) started while the registry is unreachable.
    const late = new ServiceProcess("dist/sinks/pings/main.js", env, await freePort());
    started.push(late);
    await late.spawn(false);
    await waitUntil(() => late.output.join("").includes("waiting for the schema registry before starting"), {
      timeoutMs: 60_000,
      describe: () => `no waiting line:\n${late.output.join("").slice(-2_000)}`,
    });
    expect(late.running).toBe(true);
    const outageMs = 5_000;
    await new Promise((r) => setTimeout(r, outageMs));
    expect(late.running, late.output.join("").slice(-2_000)).toBe(true);
    const t0 = Date.now();
    await proxy.restore();
    await late.waitHealthy(90_000);
    const startedAfterMs = Date.now() - t0;
    await sendPings(100);
    await waitUntil(async () => (await storedRows()) === 300, {
      timeoutMs: 60_000,
      describe: async () => `rows ${await storedRows()}`,
    });
    const waitingLines = late.output
      .join("")
      .split("\n")
      .filter((l) => l.includes("waiting for the schema registry")).length;
    console.log(
      `registry chaos: sent 300 (50 before, 150 during the outage, 100 after); stored ${await storedRows()} (expected 300; ${duringOutage} while down); late instance logged ${waitingLines} waiting lines, ready ${startedAfterMs} ms after the registry came back`,
    );
    expect(await storedRows()).toBe(300);
  });
});
