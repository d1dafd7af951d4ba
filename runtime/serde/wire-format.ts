import { TributaryError } from "../errors.js";

/**
 * Confluent wire format for Protobuf values:
 *   byte 0      magic 0x00
 *   bytes 1-4   schema id, big-endian unsigned
 *   varints     message indexes: count, then each index (zigzag varints); the common case [0]
 *               (first message of the file) is written as the single byte 0x00
 *   rest        the Protobuf-encoded message
 */
export interface WireFrame {
  readonly schemaId: number;
  readonly messageIndexes: readonly number[];
  readonly payload: Uint8Array;
}

const MAGIC_BYTE = 0;
/** Shared by every decoded frame of the common case, so decoding allocates no index array. */
const FIRST_MESSAGE: readonly number[] = Object.freeze([0]);

export function encodeWire(frame: WireFrame): Buffer {
  const indexes = isFirstMessage(frame.messageIndexes) ? [0] : [frame.messageIndexes.length, ...frame.messageIndexes];
  const indexBytes = indexes.flatMap((n) => zigzagVarint(n));
  const out = Buffer.alloc(5 + indexBytes.length + frame.payload.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(frame.schemaId, 1);
  Buffer.from(indexBytes).copy(out, 5);
  Buffer.from(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength).copy(
    out,
    5 + indexBytes.length,
  );
  return out;
}

export function decodeWire(bytes: Uint8Array): WireFrame {
  if (bytes.length < 6) throw malformed(`value has ${bytes.length} bytes, fewer than the 6-byte minimum`);
  if (bytes[0] !== MAGIC_BYTE) throw malformed(`unknown magic byte ${bytes[0]}`);
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const schemaId = view.readUInt32BE(1);
  // Nearly every record is the first message of its schema (index byte 0x00): no varint parse.
  if (bytes[5] === 0) return { schemaId, messageIndexes: FIRST_MESSAGE, payload: view.subarray(6) };
  let pos = 5;
  const next = (): number => {
    const [value, size] = readZigzagVarint(view, pos);
    pos += size;
    return value;
  };
  const count = next();
  if (count < 0 || count > 64) throw malformed(`message index count ${count} out of range`);
  const messageIndexes = count === 0 ? FIRST_MESSAGE : Array.from({ length: count }, next);
  if (messageIndexes.some((i) => i < 0)) throw malformed("negative message index");
  return { schemaId, messageIndexes, payload: view.subarray(pos) };
}

function isFirstMessage(indexes: readonly number[]): boolean {
  return indexes.length === 1 && indexes[0] === 0;
}

function zigzagVarint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const bytes: number[] = [];
  while (z >= 0x80) {
    bytes.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  bytes.push(z);
  return bytes;
}

function readZigzagVarint(view: Buffer, start: number): [number, number] {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 5; i++) {
    const byte = view[start + i];
    if (byte === undefined) throw malformed("truncated message index varint");
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const value = result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      return [value, i + 1];
    }
    multiplier *= 128;
  }
  throw malformed("message index varint longer than 5 bytes");
}

function malformed(detail: string): TributaryError {
  return new TributaryError("decode_failed", `not a Confluent Protobuf frame: ${detail}`);
}
