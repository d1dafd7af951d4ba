import { spawn } from "node:child_process";
import { create, toJson } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { protoSourceOf } from "../../runtime/serde/proto-source.js";
import { decodeWire } from "../../runtime/serde/wire-format.js";
import { runCli, runCommand } from "../helpers/run-command.js";
import { ServiceProcess } from "../helpers/service-process.js";
import { repoRoot, stackEnv, uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";
import { waitUntil } from "../helpers/wait-until.js";

const prefix = `${uniqueId("f")}.`;
const platform = new TestPlatform(prefix);
const env = { TOPIC_PREFIX: prefix };

beforeAll(() => platform.createTopics());
afterAll(() => platform.close());

describe("typed topics on the local stack", () => {
  const ping = create(PingRecordedSchema, {
    id: "0b6f7c1e-2d7c-4a4e-9f0e-111111111111",
    timestampMs: 1728926331000n,
    acceptedAtMs: 1728926331005n,
  });

  it("reads a record produced through the runtime back with `tail` as the same JSON", async () => {
    await platform.send("pings", PingRecordedSchema, ping, ping.id);
    const result = await runCli(["tail", "pings", "--from", "beginning"], env);
    expect(result.stderr).toBe("");
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; value: unknown; headers: Record<string, string> });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.key).toBe(ping.id);
    expect(lines[0]?.value).toEqual(toJson(PingRecordedSchema, ping));
    expect(lines[0]?.headers["tributary.message-type"]).toBe("ping.v1.PingRecorded");
  });

  it("shows a readable key and the message type header in Kafka's own console consumer", async () => {
    const result = await runCommand(
      "java",
      [
        "-cp",
        `${repoRoot}/.stack/lib/kafka/*`,
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        "--bootstrap-server",
        stackEnv.KAFKA_BROKERS,
        "--topic",
        platform.topic("pings"),
        "--from-beginning",
        "--max-messages",
        "1",
        "--timeout-ms",
        "30000",
        "--property",
        "print.key=true",
        "--property",
        "print.headers=true",
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.stdout).toContain(ping.id);
    expect(result.stdout).toContain("tributary.message-type:ping.v1.PingRecorded");
    expect(result.stdout).toContain("content-type:application/x-protobuf");
  });

  it("registers every catalog topic's schema and decodes by the id in the record", async () => {
    const subjects = await platform.registry.subjects();
    for (const spec of topicCatalog) {
      if (spec.message === null) continue;
      expect(subjects).toContain(`${platform.topic(spec.name)}-value`);
    }
    const topic = platform.topic("pings");
    const record = platform.codec.encode(topic, PingRecordedSchema, ping, ping.id);
    const frame = decodeWire(record.value);
    const registered = await platform.registry.getById(frame.schemaId);
    expect(registered.schema).toBe(protoSourceOf(PingRecordedSchema));
    expect(registered.schemaType).toBe("PROTOBUF");
  });

  it("produces JSON lines through the CLI and names the bad field of an invalid line", async () => {
    const good = JSON.stringify({ id: "0b6f7c1e-2d7c-4a4e-9f0e-222222222222", timestampMs: "1728926332000" });
    const bad = JSON.stringify({ id: "x", timestamp_ms: "soon" });
    const result = await runCli(["produce", "pings"], env, `${good}\n${bad}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line 2: invalid ping\.v1\.PingRecorded: .*timestamp_ms/);
    expect(result.stdout).toContain('"partition"');
  });

  it("tails from a time and follows new records", async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const later = create(PingRecordedSchema, {
      id: "0b6f7c1e-2d7c-4a4e-9f0e-444444444444",
      timestampMs: 1728926333000n,
    });
    await platform.send("pings", PingRecordedSchema, later, later.id);
    const fromTime = await runCli(["tail", "pings", "--from", before], env);
    expect(
      fromTime.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { key: string }).key),
    ).toEqual([later.id]);

    const follower = spawn(
      process.execPath,
      [`${repoRoot}/dist/cli/main.js`, "tail", "pings", "--from", "end", "--follow"],
      {
        env: { ...process.env, ...stackEnv, ...env },
      },
    );
    let followed = "";
    follower.stdout.on("data", (c: Buffer) => {
      followed += c.toString();
    });
    try {
      const next = create(PingRecordedSchema, {
        id: "0b6f7c1e-2d7c-4a4e-9f0e-555555555555",
        timestampMs: 1728926334000n,
      });
      await waitUntil(
        async () => {
          // The follower may still be joining: keep producing until it prints one.
          await platform.send("pings", PingRecordedSchema, next, next.id);
          return followed.includes(next.id);
        },
        { timeoutMs: 30_000, intervalMs: 1_000, describe: () => `follower printed: ${followed}` },
      );
    } finally {
      follower.kill("SIGINT");
    }
  });

  it("lists catalog topics with message types, partitions and end offsets", async () => {
    const result = await runCli(["topics"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${platform.topic("pings")}\\s+ping\\.v1\\.PingRecorded\\s+6\\s+`));
  });
});

describe("bad input never stops a pipeline", () => {
  it("sends a poison record to the DLQ with the reason and still processes the next good one", async () => {
    const namespace = `${uniqueId("ns")}:`;
    const counter = await ServiceProcess.start("dist/processors/ping-counter/main.js", {
      ...env,
      STATE_NAMESPACE: namespace,
      PING_COUNTER_GROUP_ID: uniqueId("g"),
      PING_COUNTER_FLUSH_INTERVAL_MS: "100",
    });
    const redis = new Redis(stackEnv.REDIS_URL);
    try {
      const producer = await platform.producer();
      const poison = Buffer.from("not a protobuf frame at all \u00ff\u0001");
      // Same key as the good record below: same partition, so "next" is well defined.
      await producer.send(platform.topic("pings"), { key: "poison-1", value: poison, headers: {} });
      const good = create(PingRecordedSchema, {
        id: "0b6f7c1e-2d7c-4a4e-9f0e-333333333333",
        timestampMs: 60_000n * 5n,
      });
      await producer.send(
        platform.topic("pings"),
        platform.codec.encode(platform.topic("pings"), PingRecordedSchema, good, "poison-1"),
      );
      await waitUntil(async () => (await redis.hget(`${namespace}ping:counters`, "minute:5")) === "1", {
        timeoutMs: 30_000,
        describe: async () => JSON.stringify(await redis.hgetall(`${namespace}ping:counters`)),
      });
      const dlq = await runCli(["tail", "pings.dlq"], env);
      const dead = dlq.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { key: string; headers: Record<string, string>; value: { base64: string } });
      expect(dead).toHaveLength(1);
      expect(dead[0]?.key).toBe("poison-1");
      expect(dead[0]?.headers["tributary.dlq.reason"]).toMatch(/magic byte/);
      expect(dead[0]?.headers["tributary.dlq.error-code"]).toBe("decode_failed");
      expect(Buffer.from(dead[0]?.value.base64 ?? "", "base64").equals(poison)).toBe(true);
    } finally {
      await counter.stop();
      redis.disconnect();
    }
  });
});

describe("configuration", () => {
  it("fails start-up on a non-numeric port, naming the variable", async () => {
    const result = await runCommand(process.execPath, [`${repoRoot}/dist/processors/ping-counter/main.js`], {
      env: { HTTP_PORT: "eighty" },
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP_PORT must be an integer, got \\"eighty\\"');
  });
});
