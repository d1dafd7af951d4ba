import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { DataTopicName } from "../catalog/catalog.js";
import type { DecodedRecord } from "../serde/topic-codec.js";

/**
 * The logic of a processor, free of Kafka and store plumbing: how to fold decoded records of one
 * partition into a batch of state changes. Throwing a TributaryError (invalid_argument or
 * decode_failed) from `add` sends that record to the dead-letter topic; processing continues.
 */
export interface Projection<M extends Message, B> {
  /** Processor name: consumer group, offsets namespace, metrics label. */
  readonly name: string;
  /** Logical (catalog) topic consumed. */
  readonly topic: DataTopicName;
  readonly message: DescMessage;
  emptyBatch(): B;
  add(batch: B, record: DecodedRecord<M>): void;
}
