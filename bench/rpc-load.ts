// Closed-loop load clients for the reference bench's ping parts: gRPC unary Ping over h2c
// (connect-node's gRPC transport, several HTTP/2 sessions) and PingBatch as pre-encoded Connect
// binary POSTs (undici), so the client spends as little CPU as possible on the shared cores.
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Agent, request } from "undici";
import { PingBatchRequestSchema, PingService } from "../gen/ping/v1/ping_service_pb.js";
import { percentile } from "./ping-load.js";

export interface LoadResult {
  /** Calls answered OK per second. */
  readonly okPerS: number;
  /** Pings acknowledged per second (calls × pings per call). */
  readonly pingsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly firstError?: string;
}

async function closedLoop(
  concurrency: number,
  seconds: number,
  pingsPerCall: number,
  call: (worker: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const endAt = t0 + seconds * 1000;
  const worker = async (w: number) => {
    while (performance.now() < endAt) {
      const start = performance.now();
      try {
        await call(w);
        latencies.push(performance.now() - start);
      } catch (err) {
        failed += 1;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsedS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    okPerS: Math.round(latencies.length / elapsedS),
    pingsPerS: Math.round((latencies.length * pingsPerCall) / elapsedS),
    p50Ms: +percentile(latencies, 50).toFixed(1),
    p99Ms: +percentile(latencies, 99).toFixed(1),
    failed,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** `concurrency` unary Pings in flight over gRPC (h2c), spread over `sessions` HTTP/2 connections. */
export async function grpcPingLoad(baseUrl: string, concurrency: number, seconds: number, sessions = 4) {
  const clients = Array.from({ length: sessions }, () =>
    createClient(PingService, createGrpcTransport({ baseUrl, pingIntervalMs: 60_000 })),
  );
  const timestampMs = BigInt(Date.now());
  return closedLoop(concurrency, seconds, 1, async (w) => {
    await clients[w % sessions]?.ping({ timestampMs });
  });
}

/** `concurrency` PingBatch calls of `pingsPerCall` pings in flight, Connect binary over HTTP/1.1. */
export async function batchPingLoad(baseUrl: string, concurrency: number, seconds: number, pingsPerCall: number) {
  const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const timestampMs = BigInt(Date.now());
  const body = toBinary(
    PingBatchRequestSchema,
    create(PingBatchRequestSchema, { pings: Array.from({ length: pingsPerCall }, () => ({ timestampMs })) }),
  );
  const url = `${baseUrl}/ping.v1.PingService/PingBatch`;
  try {
    return await closedLoop(concurrency, seconds, pingsPerCall, async () => {
      const response = await request(url, {
        method: "POST",
        dispatcher: agent,
        headers: { "content-type": "application/proto" },
        body,
      });
      const answer = await response.body.arrayBuffer();
      if (response.statusCode !== 200) {
        throw new Error(`${response.statusCode} ${Buffer.from(answer).toString("utf8").slice(0, 200)}`);
      }
    });
  } finally {
    await agent.close();
  }
}
