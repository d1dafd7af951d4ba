import { create, type DescMessage, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topicCatalog } from "../catalog/catalog.js";
import { TributaryError } from "../errors.js";
import type { ConsumedRecord } from "../kafka/kafka-adapter.js";
import { messageIndexesOf, protoSourceOf } from "./proto-source.js";
import { type RegisteredSchema, SchemaRegistryClient } from "./schema-registry-client.js";
import { TopicCodec } from "./topic-codec.js";
import { encodeWire } from "./wire-format.js";

const messages: DescMessage[] = topicCatalog.flatMap((t) => (t.message === null ? [] : [t.message]));

/** Schema ids 1..n are the catalog's messages, n+1 is an AVRO schema, anything else is unknown. */
class InMemoryRegistry extends SchemaRegistryClient {
  readonly #byId = new Map<number, RegisteredSchema>();
  constructor() {
    super("http://registry.invalid");
    messages.forEach((m, i) => {
      this.#byId.set(i + 1, { schema: protoSourceOf(m), schemaType: "PROTOBUF" });
    });
    this.#byId.set(messages.length + 1, { schema: '{"type":"string"}', schemaType: "AVRO" });
  }
  override async getById(id: number): Promise<RegisteredSchema> {
    const schema = this.#byId.get(id);
    if (schema === undefined) throw new TributaryError("schema_registry", `no schema with id ${id}`);
    return schema;
  }
}

function recordOf(value: Buffer): ConsumedRecord {
  return { topic: "t", partition: 0, offset: 0, key: "k", value, headers: {}, timestampMs: 0 };
}

/** The decoded message, or a decode_failed error: never another error type, never a retryable one. */
async function decodeOrCode(codec: TopicCodec, value: Buffer, expected: DescMessage): Promise<unknown> {
  try {
    return (await codec.decode(recordOf(value), expected)).message;
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("decode_failed");
    expect((err as TributaryError).canRetry).toBe(false);
    return err;
  }
}

const expectedType = fc.constantFrom(...messages);
const schemaIds = fc.oneof(fc.integer({ min: 0, max: messages.length + 3 }), fc.integer({ min: 0, max: 0xffff_ffff }));
const indexes = fc.oneof(
  fc.constant([0]),
  fc.array(fc.nat({ max: 8 }), { minLength: 1, maxLength: 4 }),
  fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
);

describe("TopicCodec.decode (fuzzed)", () => {
  const codec = new TopicCodec(new InMemoryRegistry(), messages);

  it("answers a message or decode_failed for any frame: unknown id, wrong type, AVRO, garbage payload", async () => {
    await fc.assert(
      fc.asyncProperty(
        expectedType,
        schemaIds,
        indexes,
        fc.uint8Array({ maxLength: 128 }),
        async (expected, id, idx, body) => {
          const value = encodeWire({ schemaId: id, messageIndexes: idx, payload: body });
          await decodeOrCode(codec, value, expected);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("handles every truncation of a valid record: a message or decode_failed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: messages.length - 1 }), fc.string({ maxLength: 40 }), async (i, text) => {
        const schema = messages[i] as DescMessage;
        // Every message type has a string field 1 or more; fill them all with the same text.
        const message = create(schema);
        for (const field of schema.fields) {
          if (field.fieldKind === "scalar" && field.scalar === 9)
            (message as Record<string, unknown>)[field.localName] = text;
        }
        const value = encodeWire({
          schemaId: i + 1,
          messageIndexes: messageIndexesOf(schema),
          payload: toBinary(schema, message),
        });
        const full = await decodeOrCode(codec, value, schema);
        expect(full).not.toBeInstanceOf(TributaryError);
        for (let cut = 0; cut < value.length; cut++) await decodeOrCode(codec, value.subarray(0, cut), schema);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a tombstone", async () => {
    await expect(
      codec.decode({ ...recordOf(Buffer.alloc(0)), value: null }, messages[0] as DescMessage),
    ).rejects.toThrow(TributaryError);
  });
});
