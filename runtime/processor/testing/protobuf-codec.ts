import { type DescMessage, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { TributaryError } from "../../errors.js";
import type { ConsumedRecord, OutgoingRecord, RecordHeaders } from "../../kafka/kafka-adapter.js";
import type { DecodedRecord } from "../../serde/topic-codec.js";
import type { RecordCodec } from "../core/ports.js";

/**
 * Plain Protobuf serde for specs: no registry, no wire-format header (the real TopicCodec is
 * covered by its own specs and the integration suite). A value that does not parse is a
 * decode_failed error, so poison records reach the DLQ path as in production.
 */
export class ProtobufCodec implements RecordCodec {
  async decode<T extends Message>(record: ConsumedRecord, expected: DescMessage): Promise<DecodedRecord<T>> {
    if (record.value === null || record.headers["test.poison"] === "1") {
      throw new TributaryError("decode_failed", `offset ${record.offset}: not a ${expected.typeName}`);
    }
    try {
      const message = fromBinary(expected, record.value) as T;
      return { record, message, messageType: expected.typeName, schemaId: 0 };
    } catch (err) {
      throw new TributaryError("decode_failed", `offset ${record.offset}: ${String(err)}`);
    }
  }

  encode<T extends Message>(
    _physicalTopic: string,
    schema: DescMessage,
    message: T,
    key: string,
    extraHeaders: RecordHeaders = {},
  ): OutgoingRecord {
    return { key, value: Buffer.from(toBinary(schema, message)), headers: { ...extraHeaders } };
  }
}
