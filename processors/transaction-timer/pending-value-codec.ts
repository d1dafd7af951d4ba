import { create, fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { PendingTransaction } from "./transaction-timer-keys.js";

/**
 * Pending-timer values in Dragonfly, compact (issue 14: 1M pending at ≤ 200 B each; the JSON form
 * took 526 B). JSON values start with `{`, compact ones with a version char; all three decode.
 *
 * Version 2 (written now), after a 0x02 char:
 *   7 chars   startedAtMs (event time of the Start) in base 128, big-endian: 7-bit chars
 *   1 char    0x01: a canonical traceparent follows as 30 chars of 7 bits (its 26 bytes:
 *             version, trace id, parent id, flags); 0x00: none or kept in field 4 below
 *   then Protobuf fields:
 *   1  bytes   TransactionStarted in Protobuf binary, transaction_id left out (it is the hash field)
 *   4  string  a non-canonical traceparent (kept verbatim)
 *   5  uint64  deadlineMs, only when it is not startedAt + timeout (never written today)
 * Version 1, after a 0x01 char: the same Protobuf fields, plus 2 (uint64 startedAtMs) and
 * 3 (bytes, the canonical traceparent's 26 bytes) instead of the 7-bit header.
 *
 * Why text and not a Buffer: the commit script receives its ops as JSON, which carries text only.
 * One char per byte survives the JSON + Lua round trip, but chars ≥ 0x80 take two bytes in the
 * store (UTF-8): a random trace id and a millisecond varint are mostly such bytes (≈ 20 B more a
 * value in version 1), hence the 7-bit header of version 2. The Start itself is mostly ASCII.
 */
const VERSION_1 = "\u0001";
const VERSION_2 = "\u0002";
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TIME_CHARS = 7;
const TRACE_BYTES = 26;
const TRACE_CHARS = Math.ceil((TRACE_BYTES * 8) / 7);
/** 2^49: the largest start time the 7-char header holds (year 19800); later ones use version 1. */
const MAX_HEADER_TIME = 2 ** (7 * TIME_CHARS);

export function encodePending(pending: PendingTransaction): string {
  const v2 =
    Number.isSafeInteger(pending.startedAtMs) && pending.startedAtMs >= 0 && pending.startedAtMs < MAX_HEADER_TIME;
  const w = new BinaryWriter();
  const started = create(TransactionStartedSchema, { ...pending.started, transactionId: "" });
  w.tag(1, WireType.LengthDelimited).bytes(toBinary(TransactionStartedSchema, started));
  if (!v2) w.tag(2, WireType.Varint).uint64(pending.startedAtMs);
  const tp = pending.traceparent;
  const m = tp === undefined ? null : TRACEPARENT.exec(tp);
  const canonical = m !== null && m[1] !== "ff" ? Buffer.from(m.slice(1, 5).join(""), "hex") : undefined;
  if (canonical !== undefined && !v2) w.tag(3, WireType.LengthDelimited).bytes(canonical);
  if (tp !== undefined && canonical === undefined) w.tag(4, WireType.LengthDelimited).string(tp);
  if (pending.deadlineMs !== pending.startedAtMs + pending.started.timeoutSeconds * 1000) {
    w.tag(5, WireType.Varint).uint64(pending.deadlineMs);
  }
  const tail = w.finish();
  // One flat string from one buffer: concatenating small strings would leave V8 cons-string
  // chains (hundreds of bytes each) in the timer's mirror, which keeps values encoded.
  const out = Buffer.allocUnsafe((v2 ? 2 + TIME_CHARS + (canonical === undefined ? 0 : TRACE_CHARS) : 1) + tail.length);
  let at = 0;
  if (v2) {
    out[at++] = 2;
    for (let i = TIME_CHARS - 1, n = pending.startedAtMs; i >= 0; i--, n = Math.floor(n / 128)) out[1 + i] = n % 128;
    at += TIME_CHARS;
    out[at++] = canonical === undefined ? 0 : 1;
    if (canonical !== undefined) at = pack7(canonical, out, at);
  } else {
    out[at++] = 1;
  }
  out.set(tail, at);
  return out.toString("latin1");
}

/** Decodes the compact forms and the JSON form written before them (migration by reading all). */
export function decodePending(encoded: string, transactionId: string): PendingTransaction {
  if (encoded.startsWith("{")) return decodeJson(encoded);
  const head = headerOf(encoded, transactionId);
  // A plain Uint8Array: sub-messages read from a Buffer would decode to Buffers.
  const r = new BinaryReader(Uint8Array.from(Buffer.from(encoded.slice(head.tailAt), "latin1")));
  let startedBytes: Uint8Array | undefined;
  let startedAtMs = head.startedAtMs ?? 0;
  let deadlineMs: number | undefined;
  let traceparent = head.traceparent;
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

/**
 * The deadline of an encoded pending value without decoding the Start: the timer reads it for
 * every stored value when it loads a partition (the store keeps no deadline index).
 */
export function pendingDeadlineMs(encoded: string, transactionId: string): number {
  if (encoded.startsWith("{")) return decodeJson(encoded).deadlineMs;
  const head = headerOf(encoded, transactionId);
  const r = new BinaryReader(Uint8Array.from(Buffer.from(encoded.slice(head.tailAt), "latin1")));
  let timeoutSeconds: number | undefined;
  let startedAtMs = head.startedAtMs ?? 0;
  let deadlineMs: number | undefined;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1) timeoutSeconds = timeoutOf(r.bytes());
    else if (field === 2) startedAtMs = Number(r.uint64());
    else if (field === 5) deadlineMs = Number(r.uint64());
    else r.skip(wireType);
  }
  if (timeoutSeconds === undefined) {
    throw new TributaryError("decode_failed", `pending value of ${transactionId}: no Start`);
  }
  return deadlineMs ?? startedAtMs + timeoutSeconds * 1000;
}

/** The version-2 header (start time, traceparent) and where the Protobuf fields begin. */
function headerOf(
  encoded: string,
  transactionId: string,
): { startedAtMs?: number; traceparent?: string; tailAt: number } {
  if (encoded.startsWith(VERSION_1)) return { tailAt: 1 };
  const marker = encoded.charCodeAt(1 + TIME_CHARS);
  if (!encoded.startsWith(VERSION_2) || !(marker === 0 || marker === 1)) {
    throw new TributaryError("decode_failed", `pending value of ${transactionId}: unknown format`);
  }
  let startedAtMs = 0;
  for (let i = 1; i <= TIME_CHARS; i++) startedAtMs = startedAtMs * 128 + (encoded.charCodeAt(i) & 0x7f);
  const at = 2 + TIME_CHARS;
  if (marker === 0) return { startedAtMs, tailAt: at };
  const traceparent = traceparentOf(unpack7(encoded.slice(at, at + TRACE_CHARS), TRACE_BYTES));
  return { startedAtMs, traceparent, tailAt: at + TRACE_CHARS };
}

/** Bytes as 7-bit chars (0x00–0x7F: one byte each in the store), most significant bits first. */
function pack7(bytes: Uint8Array, out: Uint8Array, start: number): number {
  let at = start;
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 7) {
      bits -= 7;
      out[at++] = (acc >> bits) & 0x7f;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out[at++] = (acc << (7 - bits)) & 0x7f;
  return at;
}

function unpack7(chars: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < chars.length && n < length; i++) {
    acc = (acc << 7) | (chars.charCodeAt(i) & 0x7f);
    bits += 7;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** `timeout_seconds` (field 7) of a TransactionStarted in binary, 0 when absent. */
function timeoutOf(started: Uint8Array): number {
  const r = new BinaryReader(started);
  let timeout = 0;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 7 && wireType === WireType.Varint) timeout = r.int32();
    else r.skip(wireType);
  }
  return timeout;
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
