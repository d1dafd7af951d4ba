import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { DataTopicName } from "../catalog/catalog.js";
import type { DecodedRecord } from "../serde/topic-codec.js";
import type { KeyValueOp } from "./core/key-value-op.js";

/** One pending timer of a partition: a key (unique within the partition), its value, its deadline. */
export interface TimerEntry<V> {
  readonly key: string;
  readonly value: V;
  /** Event time at which the timer fires, milliseconds since the Unix epoch. */
  readonly deadlineMs: number;
}

/** What the logic may do to the timers of the record's partition while applying it. */
export interface TimerTable<V> {
  get(key: string): TimerEntry<V> | undefined;
  /** Starts the timer of `key`, replacing a pending one. */
  set(key: string, value: V, deadlineMs: number): void;
  /** Removes the timer without firing it. */
  cancel(key: string): void;
  /** Fires the timer now (its output is emitted) and removes it. */
  fire(key: string): void;
}

/**
 * The logic of a stateful processor with event-time timers, free of Kafka and store plumbing.
 * Throwing a TributaryError without canRetry from `eventTimeOf` or `apply` sends the record to
 * the dead-letter topic; processing continues.
 */
export interface TimerLogic<M extends Message, V> {
  /** Processor name: consumer group default, offsets field namespace, metrics label. */
  readonly name: string;
  /** Logical (catalog) topic consumed. */
  readonly topic: DataTopicName;
  readonly message: DescMessage;
  /** Logical (catalog) topic fired timers are written to. */
  readonly outputTopic: DataTopicName;
  readonly outputMessage: DescMessage;
  /** Event time of a record; it advances the partition's watermark. */
  eventTimeOf(record: DecodedRecord<M>): number;
  /** Applies one record. Runs before the watermark advances to the record's event time. */
  apply(record: DecodedRecord<M>, eventTimeMs: number, timers: TimerTable<V>): void;
  /** Output record of a fired timer; its key must be stable so downstream can deduplicate re-emissions. */
  onFire(
    entry: TimerEntry<V>,
    firedAtMs: number,
  ): { readonly key: string; readonly message: Message; readonly headers?: Readonly<Record<string, string>> };
  encodeValue(value: V): string;
  /** `key` is the timer's key (the hash field), so a value need not repeat it. */
  decodeValue(encoded: string, key: string): V;
  /**
   * The deadline of an encoded value (the store keeps no separate deadline index): read when a
   * partition's timers are loaded, so it should not need a full decode.
   */
  deadlineOf(encoded: string, key: string): number;
  /**
   * Identity of one firing, equal to what `firedIdOfOutput` reads from its output record: a
   * rebuild (state lost) skips re-emitting timers already in the output topic. Without it, a
   * rebuild re-emits them (same key; downstream deduplicates).
   */
  firedIdOf?(entry: TimerEntry<V>): string;
  firedIdOfOutput?(message: Message): string;
  /** State kept beside each timer (e.g. a per-client index), written in the same atomic commit. */
  indexOps?(entry: TimerEntry<V>, change: "put" | "delete", partition: number): KeyValueOp[];
  /** Index keys of an earlier layout to delete when a timer is moved out of `legacyTimers`. */
  legacyIndexKeys?(entry: TimerEntry<V>): readonly string[];
}

/** Dragonfly keys of a timer processor's state in one namespace. */
export interface TimerKeys {
  /** Hash `<topic>:<partition>` → next offset (the store's offsets, compare-and-set). */
  readonly offsets: string;
  /**
   * The hash holding `key`'s timer in `partition` (key → encoded value): one of
   * `timerBuckets(partition)`, chosen by the key alone. Buckets keep each hash small enough for
   * the store's compact encoding (listpack); deadlines are read from the values on load.
   */
  timers(partition: number, key: string): string;
  /** Every hash of one partition's timers. */
  timerBuckets(partition: number): readonly string[];
  /**
   * An earlier layout's single hash of the partition's timers (same fields and values), read on
   * load and moved into the buckets by the first commit, which also deletes `legacyKeys`.
   */
  legacyTimers?(partition: number): string;
  /** Keys of the earlier layout deleted by that commit (e.g. the old deadline sorted set). */
  legacyKeys?(partition: number): readonly string[];
  /** Hash partition → largest event time seen (the watermark before lateness). */
  readonly watermarks: string;
}
