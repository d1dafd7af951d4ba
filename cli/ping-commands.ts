import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PingCountResponseSchema, PingResponseSchema, PingService } from "../gen/ping/v1/ping_service_pb.js";

function pingClient(baseUrl: string) {
  return createClient(PingService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
}

/** `ping [--timestamp-ms N]`, like the seed's `go run . ping`. */
export async function ping(baseUrl: string, timestampMs: number): Promise<void> {
  const response = await pingClient(baseUrl).ping({ timestampMs: BigInt(timestampMs) });
  process.stdout.write(`${JSON.stringify(toJson(PingResponseSchema, response))}\n`);
}

/** `count [--from T --to T]`, like the seed's `go run . count`; T is an ISO time or epoch ms. */
export async function count(baseUrl: string, from: string | undefined, to: string | undefined): Promise<void> {
  const fromMs = from === undefined ? 0 : parseTime(from, "--from");
  const toMs = to === undefined ? (from === undefined ? 0 : Date.now()) : parseTime(to, "--to");
  const response = await pingClient(baseUrl).pingCount({ fromMs: BigInt(fromMs), toMs: BigInt(toMs) });
  process.stdout.write(`${JSON.stringify(toJson(PingCountResponseSchema, response))}\n`);
}

function parseTime(value: string, flag: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`${flag} must be an ISO time or epoch milliseconds, got "${value}"`);
  return ms;
}
