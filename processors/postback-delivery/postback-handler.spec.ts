import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostbackDelivery, PostbackDeliverySchema } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import { EnvReader } from "../../runtime/config/env-reader.js";
import { REDRIVE_HEADER } from "../../runtime/dead-letters/redrive.js";
import { readOutboundConfig } from "../../runtime/outbound/outbound-config.js";
import type { DecodedRecord } from "../../runtime/serde/topic-codec.js";
import { postbackHandler } from "./postback-handler.js";

const record = (
  m: { url?: string; method?: string },
  headers: Record<string, string> = {},
): DecodedRecord<PostbackDelivery> => ({
  record: { topic: "t", partition: 0, offset: 0, key: "k", value: null, headers, timestampMs: 0 },
  message: create(PostbackDeliverySchema, { deliveryId: "d-1", requestId: "r-1", method: "GET", ...m }),
  messageType: "postbacks.v1.PostbackDelivery",
  schemaId: 1,
});

let server: Server;
let base = "";
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end("ok");
beforeAll(async () => {
  server = createServer((req, res) => answer(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function handler(env: Record<string, string> = { OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32" }, dialled: string[] = []) {
  return postbackHandler({
    requestTimeoutMs: 1_000,
    excerptBytes: 8,
    signingKeys: [],
    maxConcurrent: 16,
    outbound: readOutboundConfig(new EnvReader(env)),
    client: {
      resolver: async (name) => [{ address: name === "evil.example" ? "169.254.169.254" : "127.0.0.1", family: 4 }],
      dial: (_o, callback) => {
        dialled.push(_o.hostname);
        callback(new Error("not in this test"), null);
      },
    },
  });
}

describe("postback attempt outcomes", () => {
  it.each([
    [200, true, undefined],
    [204, true, undefined],
    [408, false, true],
    [425, false, true],
    [429, false, true],
    [500, false, true],
    [503, false, true],
    [301, false, false],
    [400, false, false],
    [404, false, false],
    [410, false, false],
  ])("HTTP %i → delivered %s, retryable %s", async (status, delivered, retryable) => {
    answer = (_req, res) => res.writeHead(status).end("0123456789abcdef");
    const h = postbackHandler({
      requestTimeoutMs: 1_000,
      excerptBytes: 8,
      signingKeys: [],
      maxConcurrent: 16,
      outbound: readOutboundConfig(new EnvReader({ OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32" })),
    });
    const outcome = await h.attempt(record({ url: `${base}/x` }), "d-1", 1, new AbortController().signal);
    expect(outcome.delivered).toBe(delivered);
    if (!outcome.delivered) expect(outcome.retryable).toBe(retryable);
    expect(outcome.responseExcerpt).toBe(status === 204 ? "" : "01234567");
    await h.close();
  });

  it("honours Retry-After in seconds", async () => {
    answer = (_req, res) => res.writeHead(429, { "retry-after": "7" }).end();
    const h = postbackHandler({
      requestTimeoutMs: 1_000,
      excerptBytes: 8,
      signingKeys: [],
      maxConcurrent: 16,
      outbound: readOutboundConfig(new EnvReader({ OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32" })),
    });
    const outcome = await h.attempt(record({ url: `${base}/x` }), "d-1", 1, new AbortController().signal);
    expect(outcome).toMatchObject({ delivered: false, retryable: true, retryAfterMs: 7_000 });
    await h.close();
  });

  it("a name resolving to a blocked address is final, with the reason, and never dialled", async () => {
    const dialled: string[] = [];
    const h = handler({}, dialled);
    const outcome = await h.attempt(record({ url: "http://evil.example/x" }), "d-1", 1, new AbortController().signal);
    expect(outcome).toMatchObject({ delivered: false, retryable: false, status: "blocked" });
    if (!outcome.delivered)
      expect(outcome.error).toContain("evil.example resolves to 169.254.169.254 is cloud metadata");
    expect(dialled).toEqual([]);
    await h.close();
  });

  it("an unparsable target or unknown method is final", async () => {
    const h = handler();
    const signal = new AbortController().signal;
    expect(await h.attempt(record({ url: "::nope" }), "d-1", 1, signal)).toMatchObject({ retryable: false });
    expect(await h.attempt(record({ url: `${base}/x`, method: "TRACE" }), "d-1", 1, signal)).toMatchObject({
      retryable: false,
    });
    await h.close();
  });

  it("keys a redriven copy apart, keeping the webhook-id", () => {
    const h = handler();
    expect(h.keyOf(record({}))).toBe("d-1");
    expect(h.keyOf(record({}, { [REDRIVE_HEADER]: "r9" }))).toBe("d-1~r9");
  });
});
