import { createClient } from "@connectrpc/connect";
import {
  connectNodeAdapter,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { listenDualProtocol } from "./dual-protocol-server.js";

// One port, every protocol, the socket handed to HTTP/2 directly (no JS stream in between).
describe("listenDualProtocol serves Connect, gRPC and gRPC-Web on one port", () => {
  let server: Awaited<ReturnType<typeof listenDualProtocol>>;
  let baseUrl: string;
  beforeAll(async () => {
    let n = 0;
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.service(PingService, {
          ping: () => ({ id: `ping-${++n}` }),
          pingCount: (req) => ({ total: req.fromMs + req.toMs }),
        }),
    });
    server = await listenDualProtocol(handler, 0, "127.0.0.1");
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it.each([
    ["connect (HTTP/1.1)", () => createConnectTransport({ baseUrl, httpVersion: "1.1" })],
    ["gRPC (HTTP/2, prior knowledge)", () => createGrpcTransport({ baseUrl })],
    ["gRPC-Web (HTTP/1.1)", () => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ])("%s: many concurrent calls on one connection", async (_name, transport) => {
    const client = createClient(PingService, transport());
    const answers = await Promise.all(Array.from({ length: 50 }, () => client.ping({})));
    expect(new Set(answers.map((a) => a.id)).size).toBe(50);
  });

  it("HTTP/2: the first chunk carries more than the preface (headers and body) and is not lost", async () => {
    const client = createClient(PingService, createGrpcTransport({ baseUrl }));
    const answer = await client.pingCount({ fromMs: 1_728_926_331_000n, toMs: 5n });
    expect(answer.total).toBe(1_728_926_331_005n);
  });

  it("plain HTTP/1.1 still reaches the handler", async () => {
    const response = await fetch(`${baseUrl}/ping.v1.PingService/Ping`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(200);
  });
});
