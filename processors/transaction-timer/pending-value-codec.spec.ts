import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { decodePending, encodePending } from "./pending-value-codec.js";
import type { PendingTransaction } from "./transaction-timer-keys.js";

const T = 1_764_000_000_123;
const started = create(TransactionStartedSchema, {
  clientId: "mock-client",
  transactionType: "order",
  transactionId: "b8e4c7f2-3a51-4d0e-9c5b-0d1f2e3a4b5c",
  callbackTarget: "http://127.0.0.1:9999/callback",
  payload: { case: "payloadJson", value: '{"id":"b8e4c7f2","amount":12.5,"note":"é ✓"}' },
  timeoutSeconds: 30,
});
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const pending: PendingTransaction = { started, startedAtMs: T, deadlineMs: T + 30_000, traceparent };

/** The JSON form of earlier releases, as they wrote it. */
const legacyJson = JSON.stringify({
  started: {
    clientId: "mock-client",
    transactionType: "order",
    transactionId: started.transactionId,
    callbackTarget: started.callbackTarget,
    payloadJson: '{"id":"b8e4c7f2","amount":12.5,"note":"é ✓"}',
    timeoutSeconds: 30,
  },
  startedAtMs: T,
  deadlineMs: T + 30_000,
  traceparent,
});

describe("pending timer values", () => {
  it("round-trips the compact form, traceparent, bytes payloads and odd deadlines included", () => {
    const id = started.transactionId;
    expect(decodePending(encodePending(pending), id)).toEqual(pending);
    const bytes = create(TransactionStartedSchema, {
      ...started,
      payload: { case: "payloadBytes", value: new Uint8Array([0, 255, 128, 10]) },
    });
    const odd = { started: bytes, startedAtMs: T, deadlineMs: T + 1, traceparent: "01-weird" };
    expect(decodePending(encodePending(odd), id)).toEqual(odd);
    const untraced = { started, startedAtMs: T, deadlineMs: T + 30_000 };
    expect(decodePending(encodePending(untraced), id)).toEqual(untraced);
  });

  it("is much smaller than the JSON form and survives a JSON (commit script) round trip", () => {
    const encoded = encodePending(pending);
    // What the store holds: the JSON-carried chars, as UTF-8.
    const storedBytes = Buffer.byteLength(JSON.parse(JSON.stringify(encoded)) as string, "utf8");
    expect(storedBytes).toBeLessThan(Buffer.byteLength(legacyJson, "utf8") / 2);
    expect(storedBytes).toBeLessThanOrEqual(200);
    expect(encoded).not.toContain(started.transactionId);
  });

  it("still reads the JSON values written before (migration by reading both)", () => {
    expect(decodePending(legacyJson, started.transactionId)).toEqual(pending);
  });

  it("rejects an unknown format with a code", () => {
    expect(() => decodePending("garbage", "x")).toThrow(expect.objectContaining({ code: "decode_failed" }));
  });
});
