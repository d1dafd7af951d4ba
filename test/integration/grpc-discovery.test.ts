import { join } from "node:path";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as HealthStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import {
  ExtensionRequestSchema,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { FlowStack } from "../helpers/flow-stack.js";
import { KafkaCutProxy } from "../helpers/kafka-cut-proxy.js";
import { runCommand } from "../helpers/run-command.js";
import { entryOf } from "../helpers/service-entries.js";
import { repoRoot, stackEnv } from "../helpers/stack-env.js";
import { waitUntil } from "../helpers/wait-until.js";

// One gateway of our own (from dist/), with API keys required, whose only way to the broker is a
// proxy this test cuts at the end: health must follow the broker, and discovery needs no key.
const stack = new FlowStack("grpcdisc", { gateway: entryOf("gateway") });
let proxy: KafkaCutProxy;
let address = "";
let client: grpc.Client;

beforeAll(async () => {
  proxy = await KafkaCutProxy.start(stackEnv.KAFKA_BROKERS);
  await stack.setUp({ KAFKA_BROKERS: proxy.address, AUTH_MODE: "required" });
  await stack.start("gateway");
  address = `127.0.0.1:${stack.service("gateway").port}`;
  client = new grpc.Client(address, grpc.credentials.createInsecure());
}, 90_000);

afterAll(async () => {
  client?.close();
  await stack.close();
  await proxy.close();
}, 60_000);

function codec<S extends DescMessage>(schema: S) {
  return {
    serialize: (m: MessageShape<S>) => Buffer.from(toBinary(schema, m)),
    deserialize: (b: Buffer) => fromBinary(schema, b),
  };
}

/** One reflection stream (grpc-js over HTTP/2): each question in turn, every answer kept. */
async function reflect(
  version: "v1" | "v1alpha",
  questions: ServerReflectionRequest["messageRequest"][],
): Promise<ServerReflectionResponse[]> {
  const request = codec(ServerReflectionRequestSchema);
  const response = codec(ServerReflectionResponseSchema);
  const call = client.makeBidiStreamRequest(
    `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    request.serialize,
    response.deserialize,
  );
  const answers: ServerReflectionResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (answer: ServerReflectionResponse) => answers.push(answer));
    call.on("end", () => resolve());
    call.on("error", reject);
  });
  for (const messageRequest of questions) call.write(create(ServerReflectionRequestSchema, { messageRequest }));
  call.end();
  await done;
  return answers;
}

function healthCheck(service: string): Promise<HealthStatus> {
  const request = codec(HealthCheckRequestSchema);
  const response = codec(HealthCheckResponseSchema);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      request.serialize,
      response.deserialize,
      create(HealthCheckRequestSchema, { service }),
      (err, answer) => (err !== null || answer === undefined ? reject(err) : resolve(answer.status)),
    );
  });
}

async function buf(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommand(join(repoRoot, "node_modules/.bin/buf"), [
    "curl",
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    ...args,
  ]);
}

describe("server reflection (no --schema needed)", () => {
  it("list_services names every API service and the discovery services, on v1 and v1alpha", async () => {
    for (const version of ["v1", "v1alpha"] as const) {
      const [answer] = await reflect(version, [{ case: "listServices", value: "" }]);
      expect(answer?.messageResponse.case).toBe("listServicesResponse");
      const names =
        answer?.messageResponse.case === "listServicesResponse"
          ? answer.messageResponse.value.service.map((s) => s.name)
          : [];
      expect(names).toEqual(
        expect.arrayContaining([
          "ping.v1.PingService",
          "transactions.v1.TransactionService",
          "notifications.v1.NotificationService",
          "messages.v1.MessageService",
          "postbacks.v1.PostbackService",
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
        ]),
      );
    }
  });

  it("file_containing_symbol returns the file and its imports, which proto-loader decodes with the Ping method", async () => {
    const [answer] = await reflect("v1", [{ case: "fileContainingSymbol", value: "ping.v1.PingService.Ping" }]);
    expect(answer?.messageResponse.case).toBe("fileDescriptorResponse");
    const blobs =
      answer?.messageResponse.case === "fileDescriptorResponse" ? answer.messageResponse.value.fileDescriptorProto : [];
    const files = blobs.map((b) => fromBinary(FileDescriptorProtoSchema, b));
    expect(files[0]?.name).toBe("ping/v1/ping_service.proto");
    // Every import is in the answer (proto-loader fails on an unresolved type otherwise).
    const names = new Set(files.map((f) => f.name));
    for (const f of files) for (const dep of f.dependency) expect(names, `${f.name} imports ${dep}`).toContain(dep);
    const set = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files }));
    const definition = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set));
    const service = definition["ping.v1.PingService"] as protoLoader.ServiceDefinition;
    expect(service.Ping?.path).toBe("/ping.v1.PingService/Ping");
    expect(service.Ping?.requestStream).toBe(false);
  });

  it("answers not found in-band and keeps the stream for the next question", async () => {
    const answers = await reflect("v1", [
      { case: "fileContainingSymbol", value: "no.such.Symbol" },
      { case: "fileByFilename", value: "transactions/v1/transaction_service.proto" },
      {
        case: "fileContainingExtension",
        value: create(ExtensionRequestSchema, { containingType: "ping.v1.PingRequest", extensionNumber: 99 }),
      },
    ]);
    expect(answers.map((a) => a.messageResponse.case)).toEqual([
      "errorResponse",
      "fileDescriptorResponse",
      "errorResponse",
    ]);
    expect(answers[0]?.messageResponse.value).toMatchObject({ errorCode: grpc.status.NOT_FOUND });
    expect(answers[2]?.messageResponse.value).toMatchObject({ errorCode: grpc.status.NOT_FOUND });
  });

  it("buf curl lists services and methods and calls Ping by reflection alone (refused only for the missing key)", async () => {
    const services = await buf("--list-services", `http://${address}`);
    expect(services.stderr).toBe("");
    expect(services.stdout.split("\n")).toEqual(
      expect.arrayContaining(["ping.v1.PingService", "grpc.health.v1.Health"]),
    );
    const methods = await buf("--list-methods", `http://${address}`);
    expect(methods.stdout.split("\n")).toEqual(
      expect.arrayContaining(["ping.v1.PingService/Ping", "ping.v1.PingService/PingCount"]),
    );
    // The request JSON is encoded from the reflected schema; the API itself still wants its key.
    const ping = await buf("-d", '{"timestamp_ms": 1728926331000}', `http://${address}/ping.v1.PingService/Ping`);
    expect(ping.stderr).toMatch(/unauthenticated/);
  });
});

describe("grpc.health.v1.Health", () => {
  it("Check: SERVING for the server and each service; an unknown service is NOT_FOUND", async () => {
    expect(await healthCheck("")).toBe(HealthStatus.SERVING);
    expect(await healthCheck("ping.v1.PingService")).toBe(HealthStatus.SERVING);
    expect(await healthCheck("transactions.v1.TransactionService")).toBe(HealthStatus.SERVING);
    await expect(healthCheck("no.such.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("Watch says SERVING, then NOT_SERVING once the broker is gone; Check agrees", async () => {
    const response = codec(HealthCheckResponseSchema);
    const call = client.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      codec(HealthCheckRequestSchema).serialize,
      response.deserialize,
      create(HealthCheckRequestSchema, { service: "" }),
    );
    const seen: HealthStatus[] = [];
    call.on("data", (m: MessageShape<typeof HealthCheckResponseSchema>) => seen.push(m.status));
    call.on("error", () => undefined);
    try {
      await waitUntil(() => seen.length > 0, { timeoutMs: 5_000, describe: () => "no Watch message" });
      expect(seen[0]).toBe(HealthStatus.SERVING);
      await proxy.cut();
      await waitUntil(() => seen.includes(HealthStatus.NOT_SERVING), {
        timeoutMs: 15_000,
        describe: () => `statuses seen: ${seen.join(",")}`,
      });
      expect(await healthCheck("ping.v1.PingService")).toBe(HealthStatus.NOT_SERVING);
    } finally {
      call.cancel();
    }
  }, 30_000);
});
