import { describe, expect, it } from "vitest";
import { decodeWire, encodeWire } from "./wire-format.js";

// Golden bytes from the documented Confluent framing: magic 0x00, 4-byte big-endian schema id,
// message indexes as zigzag varints (count then indexes; [0] shortened to one 0x00), payload.
describe("Confluent Protobuf wire format", () => {
  const payload = Uint8Array.from([0x0a, 0x01, 0x61, 0x10, 0x01]);

  it("writes the first message of a file as a single 0x00 index byte", () => {
    const bytes = encodeWire({ schemaId: 1, messageIndexes: [0], payload });
    expect(bytes.toString("hex")).toBe("0000000001000a01611001");
  });

  it("writes other indexes as count + zigzag varints", () => {
    expect(encodeWire({ schemaId: 258, messageIndexes: [1], payload }).toString("hex")).toBe(
      "0000000102" + "0202" + "0a01611001",
    );
    expect(encodeWire({ schemaId: 7, messageIndexes: [2, 0], payload }).toString("hex")).toBe(
      "0000000007" + "040400" + "0a01611001",
    );
    expect(encodeWire({ schemaId: 7, messageIndexes: [64], payload }).toString("hex")).toBe(
      "0000000007" + "028001" + "0a01611001",
    );
  });

  it("reads back what it writes", () => {
    for (const messageIndexes of [[0], [1], [3, 1], [70, 2, 5]]) {
      const frame = decodeWire(encodeWire({ schemaId: 123456, messageIndexes, payload }));
      expect(frame.schemaId).toBe(123456);
      expect(frame.messageIndexes).toEqual(messageIndexes);
      expect(Buffer.from(frame.payload).toString("hex")).toBe("0a01611001");
    }
  });

  it("rejects random bytes with a decode_failed error", () => {
    expect(() => decodeWire(Buffer.from("hello world"))).toThrow(/magic byte/);
    expect(() => decodeWire(Buffer.from([0, 0]))).toThrow(/fewer than/);
  });
});
