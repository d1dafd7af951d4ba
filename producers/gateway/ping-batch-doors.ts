import { create, toJson } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import {
  type PingBatchResponse,
  PingBatchResponseSchema,
  type PingRequest,
  PingService,
} from "../../gen/ping/v1/ping_service_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { JsonRoute } from "./json-route.js";
import type { BatchPingInput, PingBatchWriter, WrittenPing } from "./ping-batch.js";
import { toConnectError } from "./to-connect-error.js";
import { childTraceparent, traceHeaders } from "./trace-context.js";

function response(written: readonly WrittenPing[]): PingBatchResponse {
  return create(PingBatchResponseSchema, { pings: written.map((w) => ({ ...w })) });
}

async function edge<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toConnectError(err);
  }
}

/** Parses one ping of `POST /pings`; errors name `pings[i].<field>`. */
function parseJsonPing(value: unknown, index: number): BatchPingInput {
  const at = `pings[${index}]`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TributaryError("invalid_argument", "must be an object with timestamp_ms", { field: at });
  }
  let timestampMs: bigint | undefined;
  for (const [name, raw] of Object.entries(value)) {
    if (name !== "timestamp_ms" && name !== "timestampMs") {
      throw new TributaryError("invalid_argument", "unknown field", { field: `${at}.${name}` });
    }
    const ok =
      (typeof raw === "number" && Number.isSafeInteger(raw)) || (typeof raw === "string" && /^-?\d{1,19}$/.test(raw));
    if (!ok) {
      throw new TributaryError("invalid_argument", "must be an integer (milliseconds since the Unix epoch)", {
        field: `${at}.timestamp_ms`,
      });
    }
    timestampMs = BigInt(raw as number | string);
  }
  return { timestampMs: timestampMs ?? 0n };
}

/** `{"pings": [{"timestamp_ms": ...}, ...]}` → inputs; the size cap is checked before parsing items. */
function parseJsonBatch(body: unknown, maxItems: number): BatchPingInput[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new TributaryError("invalid_argument", 'must be an object {"pings": [...]}', { field: "body" });
  }
  for (const name of Object.keys(body)) {
    if (name !== "pings") throw new TributaryError("invalid_argument", "unknown field", { field: name });
  }
  const pings = (body as { pings?: unknown }).pings;
  if (!Array.isArray(pings)) throw new TributaryError("invalid_argument", "must be an array", { field: "pings" });
  if (pings.length > maxItems) {
    throw new TributaryError(
      "invalid_argument",
      `more than ${maxItems} pings in one call (GATEWAY_PING_BATCH_MAX_ITEMS)`,
      { field: "pings" },
    );
  }
  return pings.map(parseJsonPing);
}

/** Bytes of one `POST /pings` ping as JSON at most, with room: `{"timestamp_ms": 1728926331000}`. */
const JSON_BYTES_PER_PING = 64;

/**
 * The batch doors of the pings flow over one writer: PingBatch and PingStream (Connect, gRPC,
 * gRPC-Web) and `POST /pings` (plain JSON, answered with the same JSON as PingBatch).
 */
export function pingBatchDoors(writer: PingBatchWriter): {
  register: (router: ConnectRouter) => void;
  route: JsonRoute;
} {
  const register = (router: ConnectRouter) => {
    router.rpc(PingService.method.pingBatch, (req: { pings: PingRequest[] }, ctx: HandlerContext) =>
      edge(async () => response(await writer.write(req.pings, traceHeaders(ctx), ctx.signal))),
    );
    router.rpc(PingService.method.pingStream, (requests: AsyncIterable<PingRequest>, ctx: HandlerContext) =>
      edge(async () => {
        // Each ping is checked as it arrives, so a bad or oversized stream fails before the rest is read.
        const pings: PingRequest[] = [];
        const nowMs = Date.now();
        for await (const ping of requests) {
          writer.check(pings.length, ping, nowMs);
          pings.push(ping);
        }
        return response(await writer.write(pings, traceHeaders(ctx), ctx.signal));
      }),
    );
  };
  const route: JsonRoute = {
    method: "POST",
    path: "/pings",
    maxBodyBytes: 1_024 + writer.maxItems * JSON_BYTES_PER_PING,
    async handle(body, req, signal) {
      const pings = parseJsonBatch(body, writer.maxItems);
      const header = req.headers.traceparent;
      const traceparent = childTraceparent(Array.isArray(header) ? header[0] : header);
      const written = await writer.write(pings, { traceparent }, signal);
      return { status: 200, body: toJson(PingBatchResponseSchema, response(written)) };
    },
  };
  return { register, route };
}
