import type { Message } from "@bufbuild/protobuf";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { errorMessage, TributaryError } from "../errors.js";
import type {
  KafkaAdapter,
  OutgoingRecord,
  PartitionBatch,
  RecordConsumer,
  RecordPosition,
  RecordProducer,
} from "../kafka/kafka-adapter.js";
import type { Logger } from "../observability/logger.js";
import { counter, gauge } from "../observability/metrics.js";
import type { TopicCodec } from "../serde/topic-codec.js";
import { offsetField, type RedisOp, RedisStateStore } from "../state/redis-state-store.js";
import { AsyncMutex } from "./async-mutex.js";
import { sendToDeadLetter } from "./dead-letter.js";
import type { PartitionChunk } from "./offset-safe-store.js";
import { PartitionTimers } from "./partition-timers.js";
import { runSerializedConsumer } from "./serialized-consumer.js";
import type { TimerEntry, TimerKeys, TimerLogic, TimerTable } from "./timer-logic.js";

export interface TimerRunOptions<M extends Message, V> {
  readonly logic: TimerLogic<M, V>;
  readonly keys: TimerKeys;
  readonly redis: Redis;
  readonly kafka: KafkaAdapter;
  readonly codec: TopicCodec;
  /** Producer for fired timers and dead letters (idempotent, acks=all). */
  readonly producer: RecordProducer;
  readonly physicalTopic: string;
  readonly outputTopic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  /** Watermark = largest event time seen minus this: how late (out of order) a record may be. */
  readonly allowedLatenessMs: number;
  /** How often idle, caught-up partitions advance their watermark on processing time. */
  readonly tickIntervalMs: number;
  /** Commit after this many consumed records. */
  readonly flushEveryRecords: number;
  /** Commit consumed records at least this often (fired timers are committed at once). */
  readonly flushIntervalMs: number;
  /** Consumer-group session timeout: how long a dead member holds its partitions. */
  readonly sessionTimeoutMs?: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics?: Registry;
  /** Processing-time clock. Default Date.now. */
  readonly now?: () => number;
}

interface TimerPartition<V> {
  readonly partition: number;
  /** Next offset the store holds (null: never committed): the CAS expectation. */
  storedNext: number | null;
  /** Next offset to apply (records before it are in the mirror). */
  next: number;
  seekedTo: number | null;
  highWatermark: number;
  /** Largest event time applied (null: none yet); persisted with the offsets. */
  maxEventMs: number | null;
  storedMaxEventMs: number | null;
  /** Processing-time watermark, raised by the tick only while the partition is caught up. */
  idleWatermarkMs: number;
  timers: PartitionTimers<V>;
  /** Fired timers not yet emitted; emitted before the commit that removes them from the store. */
  outputs: OutgoingRecord[];
  records: number;
}

interface TimerChunk {
  readonly ops: RedisOp[];
}

/**
 * Runs a stateful processor with event-time timers, partition by partition.
 *
 * - State: each partition's timers live in Dragonfly (a hash of values and a sorted set of
 *   deadlines) and in an in-memory mirror loaded when the partition is assigned. Every commit
 *   writes the mirror's net changes, the partition's watermark and the consumed offsets in one
 *   Lua script (compare-and-set on the offsets), so a crash at any point resumes from a state that
 *   matches its offsets exactly.
 * - Event time: a timer fires only when the partition's watermark (largest event time applied,
 *   minus the allowed lateness) reaches its deadline, checked after every record. A backlog is
 *   applied in log order, so a Stop waiting in the backlog is applied before the watermark can
 *   pass its Start's deadline, however late the consumer is.
 * - Idle partitions: the tick reads the partition's end offset; when everything before it has
 *   been applied, the watermark may advance to (time the end offset was read − allowed lateness).
 *   Any record appended before that read has been applied, so only records that took longer than
 *   the allowed lateness to reach the log can be "late".
 * - Output: fired timers are produced (acks=all) before the commit that removes them; a crash in
 *   between re-emits them on restart with the same key, which downstream deduplicates.
 */
export class TimerRunner<M extends Message, V> {
  readonly #o: TimerRunOptions<M, V>;
  readonly #now: () => number;
  readonly #mutex = new AsyncMutex();
  readonly #store: RedisStateStore<TimerChunk>;
  readonly #partitions = new Map<number, TimerPartition<V>>();
  #assigned = new Set<number>();
  #consumer: RecordConsumer | undefined;
  #buffered = 0;
  #lastCommitAt = 0;
  readonly #m;

  constructor(options: TimerRunOptions<M, V>) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#lastCommitAt = this.#now();
    this.#store = new RedisStateStore<TimerChunk>(options.redis, options.keys.offsets, (chunks) =>
      chunks.flatMap((c) => c.batch.ops),
    );
    const m = options.metrics;
    const labels = ["processor"];
    const byPartition = ["processor", "partition"];
    this.#m = m && {
      records: counter(m, "tributary_processor_records_total", "Records committed to the state store", labels),
      deadLetters: counter(m, "tributary_processor_dead_letters_total", "Records sent to the DLQ", labels),
      conflicts: counter(m, "tributary_processor_offset_conflicts_total", "Commits refused by offset CAS", labels),
      fired: counter(m, "tributary_timers_fired_total", "Timers fired (emitted, before commit)", labels),
      pending: gauge(m, "tributary_timers_pending", "Pending timers in the mirror", byPartition),
      watermark: gauge(m, "tributary_timers_watermark_ms", "Effective watermark (event time, ms)", byPartition),
      lag: gauge(m, "tributary_processor_lag_records", "High watermark minus applied offset", byPartition),
    };
  }

  /** Consumes until the signal aborts, then commits what is buffered. */
  async run(): Promise<void> {
    await runSerializedConsumer({
      kafka: this.#o.kafka,
      groupId: this.#o.groupId,
      ...(this.#o.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: this.#o.sessionTimeoutMs }),
      topic: this.#o.physicalTopic,
      signal: this.#o.signal,
      mutex: this.#mutex,
      intervalMs: this.#o.tickIntervalMs,
      onConsumer: (consumer) => {
        this.#consumer = consumer;
      },
      onBatch: (batch) => this.#accept(batch),
      onInterval: () => this.#tick(),
      onAssignment: (partitions) => this.#assign(partitions),
      onStopped: () => this.#mutex.run(() => this.#commit()),
      onError: (err, context) => this.#warn(err, context),
    });
  }

  /** Effective watermark of a partition (event time, ms); -Infinity before any record or tick. */
  watermarkOf(partition: number): number {
    const state = this.#partitions.get(partition);
    return state === undefined ? Number.NEGATIVE_INFINITY : this.#watermark(state);
  }

  async #assign(partitions: readonly number[]): Promise<void> {
    // Mirrors of partitions now owned elsewhere must not fire; the owned ones reload from the
    // store, whose offsets decide where consumption resumes.
    this.#partitions.clear();
    this.#buffered = 0;
    this.#assigned = new Set(partitions);
    this.#o.log.info({ assigned: partitions }, "partitions assigned");
    for (const p of partitions) {
      try {
        await this.#load(p);
      } catch (err) {
        this.#warn(err, "loading partition state failed; the tick retries", { partition: p });
      }
    }
  }

  async #load(partition: number): Promise<TimerPartition<V>> {
    const { redis, keys, logic, physicalTopic } = this.#o;
    // One MULTI: a consistent snapshot even if a previous owner commits during the hand-over.
    const replies = await redis
      .multi()
      .hget(keys.offsets, offsetField(physicalTopic, partition))
      .hget(keys.watermarks, String(partition))
      .hgetall(keys.timers(partition))
      .zrange(keys.deadlines(partition), 0, -1, "WITHSCORES")
      .exec();
    if (replies === null) throw new TributaryError("unavailable", "state snapshot aborted", { canRetry: true });
    for (const [err] of replies) if (err) throw err;
    const stored = replies[0]?.[1] as string | null;
    const watermark = replies[1]?.[1] as string | null;
    const values = (replies[2]?.[1] ?? {}) as Record<string, string>;
    const deadlines = (replies[3]?.[1] ?? []) as string[];
    const entries: TimerEntry<V>[] = [];
    for (let i = 0; i + 1 < deadlines.length; i += 2) {
      const key = deadlines[i] as string;
      const raw = values[key];
      if (raw === undefined) {
        this.#o.log.warn({ partition, key }, "deadline without timer value: dropped");
        continue;
      }
      try {
        entries.push({ key, value: logic.decodeValue(raw), deadlineMs: Number(deadlines[i + 1]) });
      } catch (err) {
        this.#warn(err, "undecodable timer value: dropped", { partition, key });
      }
    }
    const storedNext = stored === null ? null : Number(stored);
    const state: TimerPartition<V> = {
      partition,
      storedNext,
      next: storedNext ?? (await this.#initialOffset(partition)),
      seekedTo: null,
      highWatermark: 0,
      maxEventMs: watermark === null ? null : Number(watermark),
      storedMaxEventMs: watermark === null ? null : Number(watermark),
      idleWatermarkMs: Number.NEGATIVE_INFINITY,
      timers: PartitionTimers.loaded(entries),
      outputs: [],
      records: 0,
    };
    this.#partitions.set(partition, state);
    this.#o.log.info({ partition, next: state.next, timers: entries.length, watermark }, "partition state loaded");
    return state;
  }

  async #initialOffset(partition: number): Promise<number> {
    const offsets = await this.#o.kafka.partitionOffsets(this.#o.physicalTopic);
    return offsets.find((o) => o.partition === partition)?.low ?? 0;
  }

  async #accept(batch: PartitionBatch): Promise<"consumed" | "seeked"> {
    const { codec, logic, signal, physicalTopic } = this.#o;
    if (signal.aborted || batch.records.length === 0 || batch.topic !== physicalTopic) return "consumed";
    this.#assigned.add(batch.partition);
    const state = this.#partitions.get(batch.partition) ?? (await this.#load(batch.partition));
    state.highWatermark = batch.highWatermark;
    const expected = state.next;
    const first = batch.records[0]?.offset ?? expected;
    if (first > expected && state.seekedTo !== expected) {
      // Fetch position ahead of the store (see ProjectionRunner): go back once; a gap seen again
      // right after the seek is real (transaction markers, compaction) and accepted.
      state.seekedTo = expected;
      this.#consumer?.seek(batch.topic, batch.partition, expected);
      return "seeked";
    }
    state.seekedTo = null;
    for (const record of batch.records) {
      if (record.offset < state.next) continue;
      try {
        const decoded = await codec.decode<M>(record, logic.message);
        const eventTimeMs = logic.eventTimeOf(decoded);
        logic.apply(decoded, eventTimeMs, this.#table(state, eventTimeMs));
        if (state.maxEventMs === null || eventTimeMs > state.maxEventMs) state.maxEventMs = eventTimeMs;
        this.#fireDue(state);
      } catch (err) {
        if (err instanceof TributaryError && err.canRetry) throw err;
        this.#o.log.warn(
          { err: errorMessage(err), partition: record.partition, offset: record.offset },
          "record to DLQ",
        );
        await sendToDeadLetter(this.#o.producer, this.#o.deadLetterTopic, record, logic.name, err);
        this.#m?.deadLetters.inc({ processor: logic.name });
      }
      state.next = record.offset + 1;
      state.records += 1;
      this.#buffered += 1;
      if (this.#buffered >= this.#o.flushEveryRecords) {
        await this.#commit();
        // A conflict reloaded the partition and seeked: the rest of this batch comes again.
        if (this.#partitions.get(batch.partition) !== state) return "seeked";
      }
    }
    // Fired timers go out now rather than at the next tick: callback latency.
    if (state.outputs.length > 0) await this.#commit();
    return "consumed";
  }

  #table(state: TimerPartition<V>, eventTimeMs: number): TimerTable<V> {
    return {
      get: (key) => state.timers.get(key),
      set: (key, value, deadlineMs) => state.timers.set({ key, value, deadlineMs }),
      cancel: (key) => {
        state.timers.remove(key);
      },
      fire: (key) => {
        const entry = state.timers.remove(key);
        if (entry !== undefined) this.#emit(state, entry, eventTimeMs);
      },
    };
  }

  #watermark(state: TimerPartition<V>): number {
    const fromEvents =
      state.maxEventMs === null ? Number.NEGATIVE_INFINITY : state.maxEventMs - this.#o.allowedLatenessMs;
    return Math.max(fromEvents, state.idleWatermarkMs);
  }

  #fireDue(state: TimerPartition<V>): void {
    const watermark = this.#watermark(state);
    for (let entry = state.timers.popDue(watermark); entry !== undefined; entry = state.timers.popDue(watermark)) {
      this.#emit(state, entry, watermark);
    }
  }

  #emit(state: TimerPartition<V>, entry: TimerEntry<V>, firedAtMs: number): void {
    const { logic, codec, outputTopic } = this.#o;
    const out = logic.onFire(entry, firedAtMs);
    state.outputs.push(codec.encode(outputTopic, logic.outputMessage, out.message, out.key));
    this.#m?.fired.inc({ processor: logic.name });
  }

  /** Idle partitions advance on processing time once caught up; then commit if due. */
  async #tick(): Promise<void> {
    if (this.#o.signal.aborted) return;
    for (const p of this.#assigned) {
      if (!this.#partitions.has(p)) await this.#load(p);
    }
    if (this.#partitions.size > 0) {
      // Read the clock before the end offsets: every record appended before this instant is
      // below the end offset returned, so "applied up to the end" covers all of them.
      const readAt = this.#now();
      const ends = await this.#o.kafka.partitionOffsets(this.#o.physicalTopic);
      for (const end of ends) {
        const state = this.#partitions.get(end.partition);
        if (state === undefined) continue;
        state.highWatermark = Math.max(state.highWatermark, end.high);
        if (state.next >= end.high) {
          state.idleWatermarkMs = Math.max(state.idleWatermarkMs, readAt - this.#o.allowedLatenessMs);
          this.#fireDue(state);
        }
      }
    }
    this.#updateGauges();
    const states = [...this.#partitions.values()];
    const fired = states.some((s) => s.outputs.length > 0);
    const dirty = this.#buffered > 0 || states.some((s) => s.timers.dirty);
    if (fired || (dirty && this.#now() - this.#lastCommitAt >= this.#o.flushIntervalMs)) await this.#commit();
  }

  async #commit(): Promise<void> {
    const { keys, logic, physicalTopic, producer, outputTopic } = this.#o;
    this.#lastCommitAt = this.#now();
    const work: { state: TimerPartition<V>; chunk: PartitionChunk<TimerChunk> }[] = [];
    for (const state of this.#partitions.values()) {
      const p = state.partition;
      const ops = state.timers.ops(
        keys,
        p,
        (value) => logic.encodeValue(value),
        (entry, change) => logic.indexOps?.(entry, change, p) ?? [],
      );
      if (state.maxEventMs !== null && state.maxEventMs !== state.storedMaxEventMs) {
        ops.push({ op: "hset", key: keys.watermarks, field: String(p), value: String(state.maxEventMs) });
      }
      if (state.records === 0 && ops.length === 0 && state.outputs.length === 0) continue;
      work.push({
        state,
        chunk: {
          topic: physicalTopic,
          partition: p,
          expectedNext: state.storedNext,
          nextOffset: state.next,
          batch: { ops },
          records: state.records,
        },
      });
    }
    if (work.length === 0) return;
    let conflicted: Set<number>;
    try {
      const outputs = work.flatMap((w) => w.state.outputs);
      // Emit before the timers leave the store: a crash in between re-emits them (same key).
      if (outputs.length > 0) await producer.sendAll(outputTopic, outputs);
      const conflicts = await this.#store.commit(work.map((w) => w.chunk));
      conflicted = new Set(conflicts.map((c) => c.partition));
    } catch (err) {
      // The mirrors are ahead of the store: rebuild them from it.
      for (const w of work) await this.#reset(w.state.partition, "commit failed");
      throw err;
    }
    const hints: RecordPosition[] = [];
    let committed = 0;
    for (const { state, chunk } of work) {
      if (conflicted.has(state.partition)) {
        this.#m?.conflicts.inc({ processor: logic.name });
        await this.#reset(state.partition, "offset conflict: another owner committed");
        continue;
      }
      state.timers.markCommitted();
      state.storedNext = chunk.nextOffset;
      state.storedMaxEventMs = state.maxEventMs;
      state.outputs = [];
      committed += state.records;
      state.records = 0;
      hints.push({ topic: physicalTopic, partition: state.partition, offset: chunk.nextOffset });
    }
    this.#buffered = [...this.#partitions.values()].reduce((n, s) => n + s.records, 0);
    this.#m?.records.inc({ processor: logic.name }, committed);
    void this.#consumer?.commitHint(hints).catch(() => undefined);
    this.#updateGauges();
  }

  async #reset(partition: number, reason: string): Promise<void> {
    this.#partitions.delete(partition);
    this.#o.log.warn({ partition, reason }, "reloading partition state from the store");
    try {
      const state = await this.#load(partition);
      this.#consumer?.seek(this.#o.physicalTopic, partition, state.next);
    } catch (err) {
      // The next batch or tick loads it again; the first batch then seeks back if needed.
      this.#warn(err, "reload failed", { partition });
    }
  }

  #updateGauges(): void {
    const m = this.#m;
    if (m === undefined) return;
    const processor = this.#o.logic.name;
    for (const state of this.#partitions.values()) {
      const labels = { processor, partition: String(state.partition) };
      m.pending.set(labels, state.timers.size);
      const wm = this.#watermark(state);
      if (Number.isFinite(wm)) m.watermark.set(labels, wm);
      m.lag.set(labels, Math.max(0, state.highWatermark - state.next));
    }
  }

  #warn(err: unknown, msg: string, extra: Record<string, unknown> = {}): void {
    this.#o.log.warn({ err: errorMessage(err), ...extra }, msg);
  }
}
