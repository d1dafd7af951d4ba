import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { runCli, runCommand } from "../helpers/run-command.js";
import { repoRoot, stackEnv } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

// These tests drive the stack's own gateway on :8080 (the seed's port) and its ping counter.
const gateway = "http://localhost:8080";
const redis = new Redis(stackEnv.REDIS_URL);
afterAll(() => redis.disconnect());

async function counters(): Promise<Record<string, string>> {
  return redis.hgetall("ping:counters");
}

async function waitForTotal(total: number): Promise<void> {
  await waitUntil(async () => Number((await counters()).total ?? 0) >= total, {
    timeoutMs: 15_000,
    describe: async () => `ping:counters = ${JSON.stringify(await counters())}, wanted total ${total}`,
  });
}

describe("the seed's curl commands, verbatim", () => {
  it("Ping then PingCount; redis-cli HGETALL ping:counters shows total and minute fields", async () => {
    const before = await counters();
    const ping = await runCommand("bash", [
      "-c",
      `curl -X POST http://localhost:8080/ping.v1.PingService/Ping \\
     -H "Content-Type: application/json" \\
     -d '{"timestamp_ms": 1728926331000}'`,
    ]);
    expect(JSON.parse(ping.stdout)).toMatchObject({ timestampMs: "1728926331000" });
    await waitForTotal(Number(before.total ?? 0) + 1);
    const count = await runCommand("bash", [
      "-c",
      `curl -X POST http://localhost:8080/ping.v1.PingService/PingCount \\
     -H "Content-Type: application/json" \\
     -d '{}'`,
    ]);
    const answer = JSON.parse(count.stdout) as { total: string; source: string };
    expect(answer.source).toBe("dragonfly");
    expect(Number(answer.total)).toBeGreaterThanOrEqual(Number(before.total ?? 0) + 1);

    const cli = await runCommand("redis-cli", ["-p", new URL(stackEnv.REDIS_URL).port, "HGETALL", "ping:counters"]);
    const lines = cli.stdout.trim().split("\n");
    const fields = Object.fromEntries(lines.flatMap((l, i) => (i % 2 === 0 ? [[l, lines[i + 1]]] : [])));
    expect(Number(fields.total)).toBe(Number(before.total ?? 0) + 1);
    // floor(1728926331000 / 60000) = 28815438
    expect(Number(fields["minute:28815438"])).toBe(Number(before["minute:28815438"] ?? 0) + 1);
  });
});

describe("clients that are not ours", () => {
  it("buf curl over gRPC (HTTP/2) and gRPC-Web", async () => {
    const buf = join(repoRoot, "node_modules/.bin/buf");
    const grpcCall = await runCommand(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--schema",
      "schemas",
      "-d",
      '{"timestamp_ms": 1728926340000}',
      `${gateway}/ping.v1.PingService/Ping`,
    ]);
    expect(grpcCall.stderr).not.toMatch(/"code"/);
    expect(JSON.parse(grpcCall.stdout)).toMatchObject({ timestampMs: "1728926340000" });
    const webCall = await runCommand(buf, [
      "curl",
      "--protocol",
      "grpcweb",
      "--schema",
      "schemas",
      "-d",
      "{}",
      `${gateway}/ping.v1.PingService/PingCount`,
    ]);
    expect(JSON.parse(webCall.stdout)).toMatchObject({ source: "dragonfly" });
  });

  it("@grpc/grpc-js with the .proto file", async () => {
    const definition = protoLoader.loadSync(join(repoRoot, "schemas/ping/v1/ping_service.proto"), {
      longs: String,
      keepCase: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      ping: { v1: { PingService: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } };
    };
    const client = loaded.ping.v1.PingService.prototype as unknown;
    expect(client).toBeDefined();
    const stub = new loaded.ping.v1.PingService("127.0.0.1:8080", grpc.credentials.createInsecure()) as grpc.Client &
      Record<string, (req: object, cb: (err: grpc.ServiceError | null, res: Record<string, string>) => void) => void>;
    const call = (method: string, req: object) =>
      new Promise<Record<string, string>>((resolve, reject) => {
        stub[method]?.call(stub, req, (err, res) => (err ? reject(err) : resolve(res)));
      });
    const pinged = await call("Ping", { timestamp_ms: "1728926350000" });
    expect(pinged.timestamp_ms).toBe("1728926350000");
    expect(pinged.id).toMatch(/^[0-9a-f-]{36}$/);
    const counted = await call("PingCount", {});
    expect(counted.source).toBe("dragonfly");
    const invalid = await call("Ping", { timestamp_ms: "-1" }).catch((err: grpc.ServiceError) => err);
    expect((invalid as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((invalid as grpc.ServiceError).details).toMatch(/timestamp_ms/);
    stub.close();
  });

  it("gRPC-Web through a Connect gRPC-Web transport", async () => {
    const client = createClient(PingService, createGrpcWebTransport({ baseUrl: gateway, httpVersion: "1.1" }));
    const response = await client.ping({ timestampMs: 1728926360000n });
    expect(response.timestampMs).toBe(1728926360000n);
  });
});

describe("trace context", () => {
  it("carries the caller's W3C trace id into the record headers and echoes a traceparent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await fetch(`${gateway}/ping.v1.PingService/Ping`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: '{"timestamp_ms": 1728926370000}',
    });
    const echoed = response.headers.get("traceparent") ?? "";
    expect(echoed).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const { id, partition } = (await response.json()) as { id: string; partition?: number };
    const tail = await runCli(["tail", "pings", "--from", "beginning"]);
    const record = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; partition: number; headers: Record<string, string> })
      .find((r) => r.key === id);
    expect(record?.partition).toBe(partition ?? 0);
    expect(record?.headers.traceparent).toBe(echoed);
  });
});

describe("invalid input names the field", () => {
  const post = async (method: string, body: string) => {
    const response = await fetch(`${gateway}/ping.v1.PingService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: response.status, body: (await response.json()) as { code: string; message: string } };
  };

  it.each([
    ["missing", "{}", /timestamp_ms: is required/],
    ["negative", '{"timestamp_ms": -5}', /timestamp_ms: must be > 0/],
    ["absurd (microseconds)", '{"timestamp_ms": 1728926331000000}', /timestamp_ms: is too far in the future/],
    ["not a number", '{"timestamp_ms": "soon"}', /timestamp_ms/],
    ["not JSON", "{timestamp", /./],
  ])("%s → invalid_argument", async (_label, body, message) => {
    const { status, body: error } = await post("Ping", body);
    expect(status).toBe(400);
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(message);
  });

  it("PingCount range errors", async () => {
    const { body } = await post("PingCount", '{"from_ms": 10, "to_ms": 5}');
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/to_ms/);
  });
});
