// The bare reference for the gateway's Ping (issue 14): node:http + kafkajs with nothing else, doing
// the same per-request work — parse the JSON body, encode ping.v1.PingRecorded with the Confluent
// framing, produce idempotently with acks=all, answer after the ack. Started by
// bench/reference-bench.ts as its own process:
//   PORT, KAFKA_BROKERS, PINGS_TOPIC, SCHEMA_ID (the topic's registered value schema id),
//   BARE_MODE = "per-request" (one producer.send per request, what a first version does) or
//   "coalesce" (requests that arrive while a produce is in flight go out together in the next one).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { create, toBinary } from "@bufbuild/protobuf";
import { Kafka, logLevel } from "kafkajs";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";

const port = Number(process.env.PORT ?? 0);
const topic = process.env.PINGS_TOPIC ?? "";
const schemaId = Number(process.env.SCHEMA_ID ?? -1);
const mode = process.env.BARE_MODE === "coalesce" ? "coalesce" : "per-request";
if (topic === "" || schemaId < 0) throw new Error("PINGS_TOPIC and SCHEMA_ID are required");

const producer = new Kafka({
  clientId: "bare-ping",
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(","),
  logLevel: logLevel.NOTHING,
}).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });

/** magic 0, schema id (BE), message indexes [0] as the single byte 0, then the message. */
function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(6 + payload.length);
  out[0] = 0;
  out.writeUInt32BE(schemaId, 1);
  out[5] = 0;
  out.set(payload, 6);
  return out;
}

type Message = { key: string; value: Buffer };
type Pending = { message: Message; done: (err?: unknown) => void };
let pending: Pending[] = [];
let inFlight = false;

async function drain(): Promise<void> {
  inFlight = true;
  while (pending.length > 0) {
    const batch = pending;
    pending = [];
    try {
      await producer.send({ topic, acks: -1, messages: batch.map((p) => p.message) });
      for (const p of batch) p.done();
    } catch (err) {
      for (const p of batch) p.done(err);
    }
  }
  inFlight = false;
}

function produce(message: Message): Promise<void> {
  if (mode === "per-request") return producer.send({ topic, acks: -1, messages: [message] }).then(() => undefined);
  return new Promise((resolve, reject) => {
    pending.push({ message, done: (err) => (err === undefined ? resolve() : reject(err)) });
    if (!inFlight) void drain();
  });
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST" || req.url !== "/ping.v1.PingService/Ping") return reply(res, 404, "{}");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let timestampMs: number;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    timestampMs = Number(body.timestamp_ms ?? body.timestampMs ?? 0);
  } catch {
    return reply(res, 400, '{"code":"invalid_argument","message":"body is not JSON"}');
  }
  if (!(timestampMs > 0)) return reply(res, 400, '{"code":"invalid_argument","message":"timestamp_ms"}');
  const id = randomUUID();
  const value = frame(
    toBinary(
      PingRecordedSchema,
      create(PingRecordedSchema, { id, timestampMs: BigInt(timestampMs), acceptedAtMs: BigInt(Date.now()) }),
    ),
  );
  try {
    await produce({ key: id, value });
  } catch (err) {
    return reply(res, 503, JSON.stringify({ code: "unavailable", message: String(err) }));
  }
  reply(res, 200, `{"id":"${id}","timestampMs":"${timestampMs}"}`);
}

await producer.connect();
const server = createServer((req, res) => {
  void handle(req, res);
});
server.keepAliveTimeout = 30_000;
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ ready: true, port: typeof address === "object" ? address?.port : port, mode })}\n`,
  );
});
process.once("SIGTERM", () => {
  server.close();
  void producer.disconnect().then(() => process.exit(0));
});
