import { createRegistry, type DescMessage, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import type { TopicSpec } from "../catalog/topic-spec.js";
import { errorMessage, TributaryError } from "../errors.js";
import type { ConsumedRecord, OutgoingRecord, RecordHeaders } from "../kafka/kafka-adapter.js";
import { MessageNameCache } from "./message-name-cache.js";
import { messageIndexesOf, protoSourceOf } from "./proto-source.js";
import type { RegisteredSchema, SchemaRegistryClient } from "./schema-registry-client.js";
import { decodeWire, encodeWire } from "./wire-format.js";

/** Header names every Tributary record carries, so plain Kafka tools show what a record is. */
export const HEADER_CONTENT_TYPE = "content-type";
export const HEADER_MESSAGE_TYPE = "tributary.message-type";
export const HEADER_SCHEMA_ID = "tributary.schema-id";
/** The caller's Idempotency-Key on a record written for a keyed request: consumers deduplicate those by record id. */
export const HEADER_IDEMPOTENCY_KEY = "idempotency-key";
export const PROTOBUF_CONTENT_TYPE = "application/x-protobuf; format=confluent-wire";

export interface DecodedRecord<T extends Message = Message> {
  readonly record: ConsumedRecord;
  readonly message: T;
  readonly messageType: string;
  readonly schemaId: number;
}

/** Subject naming: Confluent's TopicNameStrategy (`<topic>-value`). */
export function valueSubject(physicalTopic: string): string {
  return `${physicalTopic}-value`;
}

/**
 * Serde for catalog topics: Protobuf in the Confluent wire format with schema ids from the
 * registry, plus readable headers. Decoding looks the writer's schema up by id.
 */
export class TopicCodec {
  readonly #registry: SchemaRegistryClient;
  readonly #types;
  readonly #idsByTopic = new Map<string, number>();
  readonly #names = new MessageNameCache();
  /** Writer schemas already fetched, so a record of a known schema needs no await. */
  readonly #writers = new Map<number, RegisteredSchema>();

  constructor(registry: SchemaRegistryClient, knownMessages: readonly DescMessage[]) {
    this.#registry = registry;
    this.#types = createRegistry(...knownMessages.map((m) => m.file));
  }

  /** Registers the value schema of each topic; call at start-up before encoding. */
  async registerTopic(physicalTopic: string, spec: TopicSpec): Promise<number> {
    if (spec.message === null) throw new Error(`topic ${spec.name} carries raw bytes, no schema`);
    const id = await this.#registry.register(valueSubject(physicalTopic), protoSourceOf(spec.message));
    this.#idsByTopic.set(physicalTopic, id);
    return id;
  }

  schemaIdOf(physicalTopic: string): number {
    const id = this.#idsByTopic.get(physicalTopic);
    if (id === undefined)
      throw new Error(`schema of ${physicalTopic} not registered yet (call registerTopic at start-up)`);
    return id;
  }

  encode<T extends Message>(
    physicalTopic: string,
    schema: DescMessage,
    message: T,
    key: string,
    extraHeaders: RecordHeaders = {},
  ): OutgoingRecord {
    const schemaId = this.schemaIdOf(physicalTopic);
    const payload = toBinary(schema, message);
    return {
      key,
      value: encodeWire({ schemaId, messageIndexes: messageIndexesOf(schema), payload }),
      headers: {
        [HEADER_CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
        [HEADER_MESSAGE_TYPE]: schema.typeName,
        [HEADER_SCHEMA_ID]: String(schemaId),
        ...extraHeaders,
      },
    };
  }

  /** Decodes a consumed record; throws TributaryError("decode_failed") with the reason. */
  async decode<T extends Message>(record: ConsumedRecord, expected: DescMessage): Promise<DecodedRecord<T>> {
    if (record.value === null) throw new TributaryError("decode_failed", "record has no value (tombstone)");
    const frame = decodeWire(record.value);
    const writer = this.#writers.get(frame.schemaId) ?? (await this.#fetchWriter(frame.schemaId));
    if (writer.schemaType !== "PROTOBUF") {
      throw new TributaryError("decode_failed", `schema ${frame.schemaId} is ${writer.schemaType}, not PROTOBUF`);
    }
    const typeName = this.#names.nameAt(frame.schemaId, writer.schema, frame.messageIndexes);
    if (typeName !== expected.typeName) {
      throw new TributaryError(
        "decode_failed",
        `schema ${frame.schemaId} index [${frame.messageIndexes.join(",")}] is ${typeName ?? "missing"}, topic expects ${expected.typeName}`,
      );
    }
    const desc = this.#types.getMessage(typeName);
    if (desc === undefined) throw new TributaryError("decode_failed", `no generated type for ${typeName}`);
    try {
      const message = fromBinary(desc, frame.payload) as T;
      return { record, message, messageType: typeName, schemaId: frame.schemaId };
    } catch (err) {
      throw new TributaryError("decode_failed", `invalid ${typeName} payload: ${errorMessage(err)}`);
    }
  }

  async #fetchWriter(schemaId: number): Promise<RegisteredSchema> {
    try {
      const writer = await this.#registry.getById(schemaId);
      this.#writers.set(schemaId, writer);
      return writer;
    } catch (err) {
      if (err instanceof TributaryError && err.canRetry) throw err;
      throw new TributaryError("decode_failed", `schema id ${schemaId} unknown to the registry: ${errorMessage(err)}`);
    }
  }
}
