import type { DescMessage, Message } from "@bufbuild/protobuf";
import type {
  BatchControl,
  ConsumedRecord,
  OutgoingRecord,
  PartitionBatch,
  PartitionOffsets,
  RecordHeaders,
  RecordPosition,
} from "../../kafka/kafka-adapter.js";
import type { DecodedRecord } from "../../serde/topic-codec.js";

/**
 * What the partition-task core needs from a consumer-group member. The Kafka adapter's
 * RecordConsumer satisfies it; the deterministic test driver implements it in memory.
 */
export interface ConsumerPort {
  run(options: {
    readonly topics: readonly string[];
    readonly fromBeginning: boolean;
    readonly signal: AbortSignal;
    readonly onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<"consumed" | "seeked">;
    readonly onAssignment?: (assigned: readonly { topic: string; partition: number }[]) => void;
  }): Promise<void>;
  seek(topic: string, partition: number, offset: number): void;
  pause(topic: string, partitions: number[]): void;
  resume(topic: string, partitions: number[]): void;
  /** Group offsets: only a hint for where a new member starts; the store's offsets are the truth. */
  commitHint(positions: readonly RecordPosition[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Log start and end offsets of a topic's partitions (admin call). */
export interface OffsetsPort {
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
}

/** Producer for dead letters and outputs (idempotent, acks=all): resolves once acknowledged. */
export interface ProducerPort {
  send(topic: string, record: OutgoingRecord): Promise<RecordPosition>;
  sendAll(topic: string, records: readonly OutgoingRecord[]): Promise<RecordPosition[]>;
}

/** Processing-time clock and timers, injectable so specs run on a manual clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Record serde (the TopicCodec in services; a plain Protobuf codec in specs). */
export interface RecordCodec {
  decode<T extends Message>(record: ConsumedRecord, expected: DescMessage): Promise<DecodedRecord<T>>;
  encode<T extends Message>(
    physicalTopic: string,
    schema: DescMessage,
    message: T,
    key: string,
    extraHeaders?: RecordHeaders,
  ): OutgoingRecord;
}
