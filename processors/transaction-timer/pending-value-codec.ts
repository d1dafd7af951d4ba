import { create, fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { PendingTransaction } from "./transaction-timer-keys.js";

/**
 * Pending-timer values in Dragonfly, compact (issue 14: 1M pending at ≤ 200 B each; the JSON form
 * took 526 B). Layout of version 1, after a 0x01 byte (JSON values start with `{`, so both decode):
 *   1  bytes   TransactionStarted in Protobuf binary, transaction_id left out (it is the hash field)
 *   2  uint64  startedAtMs (event time of the Start); the deadline is startedAt + timeout
 *   3  bytes   traceparent, 25 bytes (version, trace id, parent id, flags) when canonical
 *   4  string  traceparent otherwise (kept verbatim)
 *   5  uint64  deadlineMs, only when it is not startedAt + timeout (never written today)
 *
 * Why latin1 text and not a Buffer: the commit script receives its ops as JSON, which carries
 * text only. One char per byte survives the JSON + Lua round trip (bytes ≥ 0x80 take two bytes in
 * the store, UTF-8); reading back gives the same chars. Most bytes are ASCII (ids, URLs, JSON).
 */
const VERSION_1 = "\u0001";
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function encodePending(pending: PendingTransaction): string {
  const w = new BinaryWriter();
  const started = create(TransactionStartedSchema, { ...pending.started, transactionId: "" });
  w.tag(1, WireType.LengthDelimited).bytes(toBinary(TransactionStartedSchema, started));
  w.tag(2, WireType.Varint).uint64(pending.startedAtMs);
  const tp = pending.traceparent;
  if (tp !== undefined) {
    const m = TRACEPARENT.exec(tp);
    if (m !== null && m[1] !== "ff")
      w.tag(3, WireType.LengthDelimited).bytes(Buffer.from(m.slice(1, 5).join(""), "hex"));
    else w.tag(4, WireType.LengthDelimited).string(tp);
  }
  if (pending.deadlineMs !== pending.startedAtMs + pending.started.timeoutSeconds * 1000) {
    w.tag(5, WireType.Varint).uint64(pending.deadlineMs);
  }
  return VERSION_1 + Buffer.from(w.finish()).toString("latin1");
}

/** Decodes both the compact form and the JSON form written before it (migration by reading both). */
export function decodePending(encoded: string, transactionId: string): PendingTransaction {
  if (encoded.startsWith("{")) return decodeJson(encoded);
  if (!encoded.startsWith(VERSION_1)) {
    throw new TributaryError("decode_failed", `pending value of ${transactionId}: unknown format`);
  }
  // A plain Uint8Array: sub-messages read from a Buffer would decode to Buffers.
  const r = new BinaryReader(Uint8Array.from(Buffer.from(encoded.slice(1), "latin1")));
  let startedBytes: Uint8Array | undefined;
  let startedAtMs = 0;
  let deadlineMs: number | undefined;
  let traceparent: string | undefined;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1) startedBytes = r.bytes();
    else if (field === 2) startedAtMs = Number(r.uint64());
    else if (field === 3) traceparent = traceparentOf(r.bytes());
    else if (field === 4) traceparent = r.string();
    else if (field === 5) deadlineMs = Number(r.uint64());
    else r.skip(wireType);
  }
  if (startedBytes === undefined) {
    throw new TributaryError("decode_failed", `pending value of ${transactionId}: no Start`);
  }
  const started = fromBinary(TransactionStartedSchema, startedBytes);
  started.transactionId = transactionId;
  return {
    started,
    startedAtMs,
    deadlineMs: deadlineMs ?? startedAtMs + started.timeoutSeconds * 1000,
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}

function traceparentOf(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 2)}-${hex.slice(2, 34)}-${hex.slice(34, 50)}-${hex.slice(50, 52)}`;
}

/** The readable JSON values of earlier releases (the Start in its Protobuf JSON form). */
function decodeJson(encoded: string): PendingTransaction {
  const raw = JSON.parse(encoded) as {
    started: JsonValue;
    startedAtMs: number;
    deadlineMs: number;
    traceparent?: unknown;
  };
  return {
    started: fromJson(TransactionStartedSchema, raw.started),
    startedAtMs: Number(raw.startedAtMs),
    deadlineMs: Number(raw.deadlineMs),
    // Absent in values written before traces were kept.
    ...(typeof raw.traceparent === "string" ? { traceparent: raw.traceparent } : {}),
  };
}
