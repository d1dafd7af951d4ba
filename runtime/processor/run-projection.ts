import type { Message } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { errorMessage, TributaryError } from "../errors.js";
import type { KafkaAdapter, PartitionBatch, RecordConsumer, RecordProducer } from "../kafka/kafka-adapter.js";
import type { Logger } from "../observability/logger.js";
import { counter, gauge } from "../observability/metrics.js";
import type { TopicCodec } from "../serde/topic-codec.js";
import { AsyncMutex } from "./async-mutex.js";
import { sendToDeadLetter } from "./dead-letter.js";
import type { OffsetSafeStore, PartitionChunk } from "./offset-safe-store.js";
import type { Projection } from "./projection.js";
import { runSerializedConsumer } from "./serialized-consumer.js";

export interface ProjectionRunOptions<M extends Message, B> {
  readonly projection: Projection<M, B>;
  readonly store: OffsetSafeStore<B>;
  readonly kafka: KafkaAdapter;
  readonly codec: TopicCodec;
  /** Producer for dead letters (idempotent, acks=all). */
  readonly producer: RecordProducer;
  readonly physicalTopic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  /** Flush after this many buffered records (seed: 1000). */
  readonly flushEveryRecords: number;
  /** Flush buffered records at least this often (seed: 1000 ms). */
  readonly flushIntervalMs: number;
  /** Where a partition the store has never seen starts: log start, or an offset for a time. */
  readonly initialOffset?: (partition: number) => Promise<number>;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics?: Registry;
  /** Called after each successful commit with every known partition's position. */
  readonly onProgress?: (progress: readonly PartitionProgress[]) => void;
}

export interface PartitionProgress {
  readonly partition: number;
  readonly committedNext: number;
  readonly highWatermark: number;
}

interface PartitionState<B> {
  committedNext: number;
  /** What the store holds for the partition (null: never committed), the CAS expectation. */
  storedNext: number | null;
  /** Position the consumer was last told to fetch from; a batch starting later is a real gap. */
  seekedTo: number | null;
  highWatermark: number;
  chunk: PartitionChunk<B> | null;
}

/**
 * Runs a projection with exactly-once effect: records are folded into per-partition chunks and
 * committed with their offsets through the store's compare-and-set; on start, after every
 * rebalance and after every conflict, each partition resumes from the store's offset.
 */
export class ProjectionRunner<M extends Message, B> {
  readonly #o: ProjectionRunOptions<M, B>;
  readonly #mutex = new AsyncMutex();
  readonly #partitions = new Map<number, PartitionState<B>>();
  #consumer: RecordConsumer | undefined;
  #buffered = 0;
  #lastCommitAt = Date.now();
  readonly #recordsCounter;
  readonly #deadLetterCounter;
  readonly #conflictCounter;
  readonly #lagGauge;

  constructor(options: ProjectionRunOptions<M, B>) {
    this.#o = options;
    const labels = ["processor"];
    const m = options.metrics;
    this.#recordsCounter =
      m && counter(m, "tributary_processor_records_total", "Records committed to the state store", labels);
    this.#deadLetterCounter =
      m && counter(m, "tributary_processor_dead_letters_total", "Records sent to the DLQ", labels);
    this.#conflictCounter =
      m && counter(m, "tributary_processor_offset_conflicts_total", "Commits refused by offset CAS", labels);
    this.#lagGauge =
      m &&
      gauge(m, "tributary_processor_lag_records", "High watermark minus committed offset", ["processor", "partition"]);
  }

  /** Consumes until the signal aborts, then flushes what is buffered. */
  async run(): Promise<void> {
    const { flushIntervalMs } = this.#o;
    await runSerializedConsumer({
      kafka: this.#o.kafka,
      groupId: this.#o.groupId,
      topic: this.#o.physicalTopic,
      signal: this.#o.signal,
      mutex: this.#mutex,
      intervalMs: Math.max(5, Math.floor(flushIntervalMs / 4)),
      onConsumer: (consumer) => {
        this.#consumer = consumer;
      },
      onBatch: (batch) => this.#accept(batch),
      onInterval: async () => {
        if (Date.now() - this.#lastCommitAt >= flushIntervalMs) await this.#commit();
      },
      onAssignment: async (partitions) => {
        // Unflushed chunks may belong to partitions now owned elsewhere: drop them and re-read
        // every position from the store on the next batch.
        this.#log.info({ assigned: partitions }, "partitions assigned");
        this.#partitions.clear();
        this.#buffered = 0;
      },
      onStopped: () => this.flush(),
      onError: (err, context) => this.#log.error({ err: errorMessage(err) }, context),
    });
  }

  get #log(): Logger {
    return this.#o.log;
  }

  async #accept(batch: PartitionBatch): Promise<"consumed" | "seeked"> {
    const { projection, store, codec, signal } = this.#o;
    if (signal.aborted || batch.records.length === 0) return "consumed";
    let state = this.#partitions.get(batch.partition);
    if (state === undefined) {
      const stored = await store.readNext(batch.topic, batch.partition);
      const start = stored ?? (await this.#initialOffset(batch.partition));
      state = {
        committedNext: start,
        storedNext: stored,
        seekedTo: null,
        highWatermark: batch.highWatermark,
        chunk: null,
      };
      this.#partitions.set(batch.partition, state);
    }
    state.highWatermark = batch.highWatermark;
    const expected = state.chunk?.nextOffset ?? state.committedNext;
    const first = batch.records[0]?.offset ?? expected;
    if (first > expected && state.seekedTo !== expected) {
      // Fetch position ahead of the store (group offset from an older namespace, dropped chunk):
      // go back. If the same gap shows up right after the seek, it is real (transaction
      // markers, compaction) and is accepted.
      state.seekedTo = expected;
      this.#consumer?.seek(batch.topic, batch.partition, expected);
      return "seeked";
    }
    state.seekedTo = null;
    for (const record of batch.records) {
      if (record.offset < expected) continue;
      if (state.chunk === null) {
        state.chunk = {
          topic: batch.topic,
          partition: batch.partition,
          expectedNext: state.storedNext,
          nextOffset: state.committedNext,
          batch: projection.emptyBatch(),
          records: 0,
        };
      }
      try {
        const decoded = await codec.decode<M>(record, projection.message);
        projection.add(state.chunk.batch, decoded);
      } catch (err) {
        if (err instanceof TributaryError && err.canRetry) throw err;
        this.#log.warn({ err: errorMessage(err), offset: record.offset, partition: record.partition }, "record to DLQ");
        await sendToDeadLetter(this.#o.producer, this.#o.deadLetterTopic, record, projection.name, err);
        this.#deadLetterCounter?.inc({ processor: projection.name });
      }
      state.chunk.nextOffset = record.offset + 1;
      state.chunk.records += 1;
      this.#buffered += 1;
      if (this.#buffered >= this.#o.flushEveryRecords) await this.#commit();
    }
    return "consumed";
  }

  async #initialOffset(partition: number): Promise<number> {
    if (this.#o.initialOffset) return this.#o.initialOffset(partition);
    const offsets = await this.#o.kafka.partitionOffsets(this.#o.physicalTopic);
    return offsets.find((o) => o.partition === partition)?.low ?? 0;
  }

  /** Commits everything buffered (used by the timer, shutdown and replay). */
  flush(): Promise<void> {
    return this.#mutex.run(() => this.#commit());
  }

  async #commit(): Promise<void> {
    const { store, projection } = this.#o;
    let chunks = [...this.#partitions.values()].flatMap((s) => (s.chunk === null ? [] : [s.chunk]));
    this.#lastCommitAt = Date.now();
    if (chunks.length === 0) return;
    for (let attempt = 0; attempt < 3 && chunks.length > 0; attempt++) {
      const conflicts = await store.commit(chunks);
      if (conflicts.length === 0) break;
      this.#conflictCounter?.inc({ processor: projection.name }, conflicts.length);
      for (const c of conflicts) {
        this.#log.warn(
          { partition: c.partition, storedNext: c.storedNext },
          "offset conflict: re-reading position from the store",
        );
        this.#partitions.delete(c.partition);
        const restart = c.storedNext ?? (await this.#initialOffset(c.partition));
        this.#consumer?.seek(c.topic, c.partition, restart);
      }
      const conflicted = new Set(conflicts.map((c) => c.partition));
      chunks = chunks.filter((c) => !conflicted.has(c.partition));
    }
    let committed = 0;
    const hints = [];
    for (const chunk of chunks) {
      const state = this.#partitions.get(chunk.partition);
      if (state === undefined || state.chunk !== chunk) continue;
      state.committedNext = chunk.nextOffset;
      state.storedNext = chunk.nextOffset;
      state.chunk = null;
      committed += chunk.records;
      hints.push({ topic: chunk.topic, partition: chunk.partition, offset: chunk.nextOffset });
    }
    this.#buffered = [...this.#partitions.values()].reduce((n, s) => n + (s.chunk?.records ?? 0), 0);
    this.#recordsCounter?.inc({ processor: projection.name }, committed);
    void this.#consumer?.commitHint(hints).catch(() => undefined);
    const progress = [...this.#partitions.entries()].map(([partition, s]) => ({
      partition,
      committedNext: s.committedNext,
      highWatermark: s.highWatermark,
    }));
    for (const p of progress) {
      this.#lagGauge?.set(
        { processor: projection.name, partition: String(p.partition) },
        Math.max(0, p.highWatermark - p.committedNext),
      );
    }
    this.#o.onProgress?.(progress);
  }
}
