import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../errors.js";
import { decodeWire, encodeWire } from "./wire-format.js";

/** Either a frame or TributaryError("decode_failed"); anything else (RangeError, TypeError) fails. */
function decodeOrCode(bytes: Uint8Array): ReturnType<typeof decodeWire> | TributaryError {
  try {
    return decodeWire(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("decode_failed");
    return err as TributaryError;
  }
}

const schemaId = fc.integer({ min: 0, max: 0xffff_ffff });
const messageIndexes = fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 64 });
const payload = fc.uint8Array({ maxLength: 256 });

describe("Confluent wire format (fuzzed)", () => {
  it("decodes any byte string to a frame or a decode_failed error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodeOrCode(bytes);
      }),
      { numRuns: 5_000 },
    );
  });

  it("decodes frames with a valid header and arbitrary index bytes without crashing", () => {
    const header = fc.tuple(schemaId, fc.uint8Array({ minLength: 1, maxLength: 40 }));
    fc.assert(
      fc.property(header, ([id, rest]) => {
        const bytes = Buffer.alloc(5 + rest.length);
        bytes.writeUInt32BE(id, 1);
        bytes.set(rest, 5);
        const result = decodeOrCode(bytes);
        if (!(result instanceof TributaryError)) {
          expect(result.schemaId).toBe(id);
          expect(result.messageIndexes.every((i) => Number.isInteger(i) && i >= 0)).toBe(true);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("round-trips every encodable frame, also as a plain Uint8Array at an offset", () => {
    fc.assert(
      fc.property(schemaId, messageIndexes, payload, fc.nat({ max: 16 }), (id, indexes, body, offset) => {
        const encoded = encodeWire({ schemaId: id, messageIndexes: indexes, payload: body });
        const shifted = new Uint8Array(encoded.length + offset);
        shifted.set(encoded, offset);
        for (const bytes of [encoded, shifted.subarray(offset)]) {
          const frame = decodeWire(bytes);
          expect(frame.schemaId).toBe(id);
          expect([...frame.messageIndexes]).toEqual(indexes);
          expect(Buffer.from(frame.payload).equals(Buffer.from(body))).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses every corruption of the magic byte", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), schemaId, payload, (magic, id, body) => {
        const bytes = encodeWire({ schemaId: id, messageIndexes: [0], payload: body });
        bytes[0] = magic;
        const result = decodeOrCode(bytes);
        expect(result).toBeInstanceOf(TributaryError);
        expect((result as TributaryError).message).toContain("magic byte");
      }),
      { numRuns: 500 },
    );
  });
});
