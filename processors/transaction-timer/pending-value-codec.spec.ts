import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { decodePending, encodePending, pendingDeadlineMs } from "./pending-value-codec.js";
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

  it("keeps the start time and a random traceparent in 7-bit chars (one store byte each)", () => {
    const id = started.transactionId;
    for (let i = 0; i < 200; i++) {
      const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
      const tp = `00-${hex(32)}-${hex(16)}-0${i % 2}`;
      const value = { started, startedAtMs: T + i * 7919, deadlineMs: T + i * 7919 + 30_000, traceparent: tp };
      const encoded = encodePending(value);
      expect(decodePending(encoded, id)).toEqual(value);
      expect([...encoded.slice(0, 39)].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    }
  });

  it("still reads version 1 values (start time and traceparent as Protobuf fields)", () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).bytes(
      toBinary(TransactionStartedSchema, create(TransactionStartedSchema, { ...started, transactionId: "" })),
    );
    w.tag(2, WireType.Varint).uint64(T);
    w.tag(3, WireType.LengthDelimited).bytes(
      Buffer.from("004bf92f3577b34da6a3ce929d0e0e473600f067aa0ba902b701", "hex"),
    );
    const v1 = `\u0001${Buffer.from(w.finish()).toString("latin1")}`;
    expect(decodePending(v1, started.transactionId)).toEqual(pending);
    expect(pendingDeadlineMs(v1, started.transactionId)).toBe(T + 30_000);
  });

  it("reads the deadline without decoding the Start, from every form", () => {
    const id = started.transactionId;
    expect(pendingDeadlineMs(encodePending(pending), id)).toBe(T + 30_000);
    expect(pendingDeadlineMs(encodePending({ ...pending, deadlineMs: T + 1 }), id)).toBe(T + 1);
    expect(pendingDeadlineMs(legacyJson, id)).toBe(T + 30_000);
    expect(() => pendingDeadlineMs("garbage", id)).toThrow(expect.objectContaining({ code: "decode_failed" }));
  });

  it("rejects an unknown format with a code", () => {
    expect(() => decodePending("garbage", "x")).toThrow(expect.objectContaining({ code: "decode_failed" }));
  });
});
