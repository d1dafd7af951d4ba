import type { Message } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { errorMessage, TributaryError } from "../../errors.js";
import type { ConsumedRecord, PartitionBatch, PartitionOffsets, RecordPosition } from "../../kafka/kafka-adapter.js";
import type { Logger } from "../../observability/logger.js";
import { endSpan } from "../../observability/tracing.js";
import { AsyncMutex } from "../async-mutex.js";
import { sendToDeadLetter } from "../dead-letter.js";
import type { PartitionChunk } from "../offset-safe-store.js";
import { rememberTraced, startCommitSpan, startProcessSpan } from "./batch-spans.js";
import type { InitialOffset, OpenPartition, PartitionTask, TaskContext } from "./partition-task.js";
import type { Clock, ConsumerPort, OffsetsPort, ProducerPort, RecordCodec } from "./ports.js";
import { systemClock } from "./ports.js";
import { type TaskMetrics, taskMetrics } from "./task-metrics.js";

export interface TaskRunnerOptions<M extends Message, S, C> {
  readonly task: PartitionTask<M, S, C>;
  /** Physical topic consumed. */
  readonly topic: string;
  readonly deadLetterTopic: string;
  /** Consumer group (label of the lag gauge). */
  readonly groupId: string;
  readonly codec: RecordCodec;
  /** Dead letters (idempotent, acks=all). */
  readonly producer: ProducerPort;
  readonly offsets: OffsetsPort;
  /** Commit after this many applied records (across partitions). */
  readonly flushEveryRecords: number;
  /** Commit at least this often while anything is uncommitted. */
  readonly flushIntervalMs: number;
  /**
   * Commit this soon after the last commit once a partition with uncommitted records has applied
   * everything up to its high watermark (the input went idle or trickles), instead of waiting for
   * `flushEveryRecords` or `flushIntervalMs`: fresh state at low rates, big commits in a backlog.
   * Undefined: off. (A partition ending in a transaction marker never looks caught up: off there.)
   */
  readonly flushIdleMs?: number;
  /** How often the periodic step runs. */
  readonly tickIntervalMs: number;
  /** Where a partition the store has never seen starts (default: the log start). */
  readonly initialOffset?: InitialOffset;
  readonly log: Logger;
  readonly metrics?: Registry;
  readonly clock?: Clock;
  /** After each successful commit, every open partition's position. */
  readonly onProgress?: (progress: readonly PartitionProgress[]) => void;
}

export interface PartitionProgress {
  readonly partition: number;
  readonly committedNext: number;
  readonly highWatermark: number;
}

/** How often end offsets are refreshed for the lag metrics when the strategy does not need them each tick. */
const END_OFFSETS_REFRESH_MS = 2_000;

/**
 * How often the tick compares the offsets the store holds for partitions with nothing uncommitted
 * with what this runner committed there (one read per runner, not per partition). Only a commit's
 * compare-and-set noticed a store that lost everything (Redis restarted empty, no persistence) or
 * a partition moved by another owner, and an idle partition never commits: its state stayed
 * missing until its next record. 5 s: a lost store is rebuilt within seconds of coming back, at
 * one small read per processor every 5 s.
 */
export const STORE_CHECK_INTERVAL_MS = 5_000;
/**
 * With nothing buffered and no strategy tick, the periodic step has no flush to make: it runs
 * at most this often (lag, end offsets, store check) instead of every tickIntervalMs (25 ms for
 * the idle flush): 40 wake-ups per second per idle processor cost ≈ 1 % of a core each.
 */
const IDLE_TICK_INTERVAL_MS = 250;

/** The core's bookkeeping of one open partition. */
interface Slot<S> {
  readonly partition: number;
  readonly state: S;
  /** What the store holds (null: never committed): the compare-and-set expectation. */
  storedNext: number | null;
  /** Position the store holds, or the one the partition started from. */
  committedNext: number;
  /** Next offset to apply. */
  next: number;
  /** Position the consumer was last sent to; a batch starting after it again is a real gap. */
  seekedTo: number | null;
  highWatermark: number;
  /** Records applied since the last commit. */
  records: number;
}

/**
 * The partition-task core (in the spirit of Kafka Streams' StreamTask): one owner of
 * assignment → position load → fetch → decode (poison → DLQ) → the strategy's step → atomic
 * commit of state + offsets with compare-and-set → reload and re-seek on conflict → metrics →
 * shutdown. Projections, timers and deliveries are strategies (`PartitionTask`) plugged in.
 *
 * The store's offsets are the truth: on start, after every rebalance and after every conflict
 * each partition resumes from what the store holds, so a zombie owner, a second instance or a
 * replay switch can never double-apply or skip a record. Kafka's group offsets are only hints.
 */
export class TaskRunner<M extends Message, S, C> {
  readonly #o: TaskRunnerOptions<M, S, C>;
  readonly #task: PartitionTask<M, S, C>;
  readonly #clock: Clock;
  readonly #mutex = new AsyncMutex();
  readonly #slots = new Map<number, Slot<S>>();
  readonly #paused = new Set<number>();
  readonly #m: TaskMetrics | undefined;
  readonly #ctx: TaskContext;
  #assigned = new Set<number>();
  #consumer: ConsumerPort | undefined;
  #buffered = 0;
  #lastCommitAtMs: number;
  #ends: readonly PartitionOffsets[] = [];
  #endsReadAtMs = Number.NEGATIVE_INFINITY;
  #storeCheckedAtMs: number;
  /** Traceparents applied since the last commit (tracing on only): the commit span's parent and links. */
  #traced: string[] = [];

  constructor(options: TaskRunnerOptions<M, S, C>) {
    this.#o = options;
    this.#task = options.task;
    this.#clock = options.clock ?? systemClock;
    this.#lastCommitAtMs = this.#clock.now();
    // Partitions opened at start have just read the store: the first check is one interval later.
    this.#storeCheckedAtMs = this.#lastCommitAtMs;
    this.#m = options.metrics && taskMetrics(options.metrics);
    this.#ctx = {
      clock: this.#clock,
      deadLetter: (record, err) => this.#deadLetter(record, err),
      pause: (partition) => this.#pause(partition),
      resume: (partition) => this.#resume(partition),
    };
  }

  get name(): string {
    return this.#task.name;
  }

  /** Open partitions and their next offsets (for specs and progress). */
  positions(): ReadonlyMap<number, number> {
    return new Map([...this.#slots].map(([p, s]) => [p, s.next]));
  }

  /** Consumes through `consumer` until the signal aborts, then stops and commits. */
  async run(consumer: ConsumerPort, signal: AbortSignal): Promise<void> {
    this.attach(consumer);
    let ticking = false;
    let lastTickAtMs = Number.NEGATIVE_INFINITY;
    const interval = setInterval(() => {
      // A slow tick (admin call, store) is not queued behind itself: the next one is skipped.
      if (ticking) return;
      const nowMs = this.#clock.now();
      const idle = this.#buffered === 0 && this.#task.tick === undefined && this.#assigned.size === this.#slots.size;
      if (idle && nowMs - lastTickAtMs < IDLE_TICK_INTERVAL_MS) return;
      lastTickAtMs = nowMs;
      ticking = true;
      void this.tick()
        .catch((err: unknown) => this.#warn(err, "periodic step failed; retrying"))
        .finally(() => {
          ticking = false;
        });
    }, this.#o.tickIntervalMs);
    try {
      await consumer.run({
        topics: [this.#o.topic],
        fromBeginning: true,
        signal,
        onBatch: (batch) => this.handleBatch(batch),
        onAssignment: (assigned) => {
          const mine = assigned.filter((a) => a.topic === this.#o.topic).map((a) => a.partition);
          void this.handleAssignment(mine).catch((err: unknown) => this.#warn(err, "assignment failed"));
        },
      });
      clearInterval(interval);
      await this.stop();
    } finally {
      clearInterval(interval);
      await consumer.disconnect().catch(() => undefined);
    }
  }

  /** The consumer that seeks, pauses and takes commit hints (run() attaches its own). */
  attach(consumer: ConsumerPort): void {
    this.#consumer = consumer;
  }

  /** One partition's fetched records. Resolves "seeked" when the fetch position was moved. */
  handleBatch(batch: PartitionBatch): Promise<"consumed" | "seeked"> {
    return this.#mutex.run(() => this.#acceptTraced(batch));
  }

  /** The partitions of the topic this member owns after a rebalance. */
  handleAssignment(partitions: readonly number[]): Promise<void> {
    return this.#mutex.run(() => this.#assign(partitions));
  }

  /** Periodic step: open missing partitions, refresh end offsets, the strategy's tick, due commit. */
  tick(): Promise<void> {
    return this.#mutex.run(() => this.#tick());
  }

  /** Commits whatever is uncommitted now. */
  flush(): Promise<void> {
    return this.#mutex.run(() => this.#commit());
  }

  /** Shutdown: the strategy stops its work, then the final commit; partitions are closed. */
  async stop(): Promise<void> {
    await this.#task.stop?.();
    await this.#mutex.run(async () => {
      await this.#commit();
      for (const slot of this.#slots.values()) this.#task.close?.(slot.state);
    });
  }

  async #assign(partitions: readonly number[]): Promise<void> {
    // Commit what was done (the CAS refuses it if a new owner got there first), then drop every
    // partition: the owned ones reopen from the store, whose offsets decide where to resume.
    await this.#commit().catch((err: unknown) => this.#warn(err, "commit before rebalance failed"));
    for (const slot of this.#slots.values()) this.#task.close?.(slot.state);
    this.#slots.clear();
    for (const p of this.#paused) this.#consumer?.resume(this.#o.topic, [p]);
    this.#paused.clear();
    this.#buffered = 0;
    this.#assigned = new Set(partitions);
    this.#o.log.info({ assigned: partitions }, "partitions assigned");
    for (const p of partitions) {
      try {
        await this.#open(p);
      } catch (err) {
        this.#warn(err, "opening partition failed; the tick retries", { partition: p });
      }
    }
  }

  async #open(partition: number): Promise<Slot<S>> {
    const { storedNext, state } = await this.#task.open(partition);
    const next = storedNext ?? (await this.#initialOffset(partition));
    const slot: Slot<S> = {
      partition,
      state,
      storedNext,
      committedNext: next,
      next,
      seekedTo: null,
      highWatermark: 0,
      records: 0,
    };
    this.#slots.set(partition, slot);
    return slot;
  }

  async #initialOffset(partition: number): Promise<number> {
    if (this.#o.initialOffset) return this.#o.initialOffset(partition);
    const offsets = await this.#o.offsets.partitionOffsets(this.#o.topic);
    return offsets.find((o) => o.partition === partition)?.low ?? 0;
  }

  async #acceptTraced(batch: PartitionBatch): Promise<"consumed" | "seeked"> {
    if (batch.topic !== this.#o.topic || batch.records.length === 0) return "consumed";
    const span = startProcessSpan(this.#task.name, batch.topic, batch.records);
    if (span === null) return this.#accept(batch);
    rememberTraced(this.#traced, batch.records);
    try {
      const result = await this.#accept(batch);
      endSpan(span);
      return result;
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  }

  async #accept(batch: PartitionBatch): Promise<"consumed" | "seeked"> {
    if (batch.topic !== this.#o.topic || batch.records.length === 0) return "consumed";
    this.#assigned.add(batch.partition);
    const slot = this.#slots.get(batch.partition) ?? (await this.#open(batch.partition));
    slot.highWatermark = Math.max(slot.highWatermark, batch.highWatermark);
    const expected = slot.next;
    const first = batch.records[0]?.offset ?? expected;
    if (first > expected && slot.seekedTo !== expected) {
      // Fetch position ahead of the store (group offset from another namespace, dropped work):
      // go back once. The same gap right after the seek is real (transaction markers,
      // compaction, retention) and is accepted.
      slot.seekedTo = expected;
      this.#consumer?.seek(batch.topic, batch.partition, expected);
      return "seeked";
    }
    slot.seekedTo = null;
    for (const record of batch.records) {
      if (record.offset < slot.next) continue;
      await this.#applyOne(slot, record);
      slot.next = record.offset + 1;
      slot.records += 1;
      this.#buffered += 1;
      if (this.#buffered >= this.#o.flushEveryRecords) {
        await this.#commit();
        // A conflict reopened the partition and seeked: the rest of this batch comes again.
        if (this.#slots.get(batch.partition) !== slot) return "seeked";
      }
    }
    if ((await this.#task.afterBatch?.(slot.state, this.#ctx)) === true || this.#idleFlushDue()) await this.#commit();
    return this.#slots.get(batch.partition) === slot ? "consumed" : "seeked";
  }

  async #applyOne(slot: Slot<S>, record: ConsumedRecord): Promise<void> {
    try {
      const decoded = await this.#o.codec.decode<M>(record, this.#task.message);
      await this.#task.apply(slot.state, decoded, this.#ctx);
    } catch (err) {
      if (err instanceof TributaryError && err.canRetry) throw err;
      this.#o.log.warn({ err: errorMessage(err), partition: record.partition, offset: record.offset }, "record to DLQ");
      await this.#deadLetter(record, err);
    }
  }

  async #deadLetter(record: ConsumedRecord, err: unknown): Promise<void> {
    await sendToDeadLetter(this.#o.producer, this.#o.deadLetterTopic, record, this.#task.name, err);
    this.#m?.deadLetters.inc({ processor: this.#task.name });
  }

  async #tick(): Promise<void> {
    for (const p of this.#assigned) {
      if (!this.#slots.has(p)) await this.#open(p);
    }
    await this.#checkStore();
    let urgent = false;
    if (this.#slots.size > 0) {
      // The clock is read before the end offsets: every record appended before this instant is
      // below the end offset returned (the timers' caught-up rule depends on this order).
      const readAtMs = this.#clock.now();
      if (this.#task.endOffsetsEveryTick === true || readAtMs - this.#endsReadAtMs >= END_OFFSETS_REFRESH_MS) {
        this.#ends = await this.#o.offsets.partitionOffsets(this.#o.topic);
        this.#endsReadAtMs = readAtMs;
      }
      const ends = this.#ends;
      for (const end of ends) {
        const slot = this.#slots.get(end.partition);
        if (slot !== undefined) slot.highWatermark = Math.max(slot.highWatermark, end.high);
      }
      const open: OpenPartition<S>[] = [...this.#slots.values()].map((s) => ({
        partition: s.partition,
        state: s.state,
        next: s.next,
      }));
      urgent = (await this.#task.tick?.(open, { readAtMs: this.#endsReadAtMs, ends }, this.#ctx)) === true;
    }
    this.#updateLag();
    // Half a tick of slack: a flush interval equal to the tick interval commits on every tick.
    const dueAtMs = this.#lastCommitAtMs + this.#o.flushIntervalMs - this.#o.tickIntervalMs / 2;
    if (urgent || this.#clock.now() >= dueAtMs || this.#idleFlushDue()) await this.#commit();
  }

  /**
   * Every STORE_CHECK_INTERVAL_MS: reopens each partition with nothing uncommitted whose stored
   * offset is no longer the one this runner committed (the store lost it, or another owner moved
   * it), as a commit conflict would. Runs under the mutex, so never beside a commit of this runner.
   * Partitions with uncommitted records are left to their next commit's compare-and-set.
   */
  async #checkStore(): Promise<void> {
    const nowMs = this.#clock.now();
    if (nowMs - this.#storeCheckedAtMs < STORE_CHECK_INTERVAL_MS) return;
    this.#storeCheckedAtMs = nowMs;
    const idle = [...this.#slots.values()].filter((s) => s.records === 0);
    if (idle.length === 0) return;
    let stored: ReadonlyMap<number, number>;
    try {
      stored = await this.#task.store.readPositions(
        this.#o.topic,
        idle.map((s) => s.partition),
      );
    } catch (err) {
      // The store is down: the check runs again next interval; the strategy's tick goes on.
      this.#warn(err, "reading the stored offsets failed; the next check retries");
      return;
    }
    for (const slot of idle) {
      const storedNext = stored.get(slot.partition) ?? null;
      if (storedNext === slot.storedNext || this.#slots.get(slot.partition) !== slot) continue;
      this.#o.log.warn(
        { partition: slot.partition, storedNext, committedNext: slot.storedNext },
        "stored offsets changed under an idle partition (store lost, or another owner committed)",
      );
      await this.#reopen(slot.partition, "stored offsets are not the ones committed");
    }
  }

  /** flushIdleMs has passed since the last commit and a partition holding uncommitted records is caught up. */
  #idleFlushDue(): boolean {
    const idleMs = this.#o.flushIdleMs;
    if (idleMs === undefined || this.#buffered === 0) return false;
    if (this.#clock.now() < this.#lastCommitAtMs + idleMs) return false;
    for (const slot of this.#slots.values()) {
      if (slot.records > 0 && slot.next >= slot.highWatermark) return true;
    }
    return false;
  }

  async #commit(): Promise<void> {
    const task = this.#task;
    this.#lastCommitAtMs = this.#clock.now();
    const work: { slot: Slot<S>; changes: C; chunk: PartitionChunk<C> }[] = [];
    for (const slot of this.#slots.values()) {
      const nextOffset = task.commitPosition?.(slot.state, slot.next) ?? slot.next;
      const taken = task.take(slot.state);
      if (taken === null && slot.records === 0 && nextOffset === slot.committedNext) continue;
      const changes = taken ?? task.emptyChanges();
      work.push({
        slot,
        changes,
        chunk: {
          topic: this.#o.topic,
          partition: slot.partition,
          expectedNext: slot.storedNext,
          nextOffset,
          batch: changes,
          records: slot.records,
        },
      });
    }
    if (work.length === 0) return;
    const endTimer = this.#m?.commitSeconds.startTimer({ processor: task.name });
    const span = startCommitSpan(task.name, this.#o.topic, this.#traced);
    this.#traced = [];
    let conflicted: Set<number>;
    try {
      await task.beforeCommit?.(work.map((w) => ({ state: w.slot.state, changes: w.changes })));
      const conflicts = await task.store.commit(work.map((w) => w.chunk));
      conflicted = new Set(conflicts.map((c) => c.partition));
    } catch (err) {
      // Nothing was written: give the changes back, or rebuild state that ran ahead of the store.
      for (const w of work) {
        if (task.restore) task.restore(w.slot.state, w.changes);
        else await this.#reopen(w.slot.partition, "commit failed");
      }
      endSpan(span, err);
      throw err;
    } finally {
      endTimer?.();
    }
    span?.setAttribute("tributary.commit.conflicts", conflicted.size);
    endSpan(span);
    const hints: RecordPosition[] = [];
    let committed = 0;
    let refused = 0;
    for (const { slot, changes, chunk } of work) {
      if (this.#slots.get(slot.partition) !== slot) continue;
      if (conflicted.has(slot.partition)) {
        this.#m?.conflicts.inc({ processor: task.name });
        await this.#reopen(slot.partition, "offset conflict: another owner committed");
        continue;
      }
      if (conflicted.size > 0) {
        // A conflict anywhere means the store applied nothing (all or nothing): this partition's
        // changes were not written either. Taken as committed, they were lost, and a partition
        // that then had nothing more to commit never found out (its counts stayed missing).
        // Given back, they go again right away (without the reloaded partitions, so at most once
        // per conflicting partition): a final commit (shutdown, rebalance) must not drop them.
        if (task.restore) {
          task.restore(slot.state, changes);
          refused += 1;
        } else await this.#reopen(slot.partition, "commit refused: another partition's offsets conflicted");
        continue;
      }
      slot.storedNext = chunk.nextOffset;
      slot.committedNext = chunk.nextOffset;
      committed += slot.records;
      slot.records = 0;
      task.committed(slot.state, changes);
      hints.push({ topic: this.#o.topic, partition: slot.partition, offset: chunk.nextOffset });
    }
    this.#buffered = [...this.#slots.values()].reduce((n, s) => n + s.records, 0);
    this.#m?.records.inc({ processor: task.name }, committed);
    if (committed > 0) this.#m?.lastCommit.set({ processor: task.name }, Date.now() / 1000);
    if (hints.length > 0) void this.#consumer?.commitHint(hints).catch(() => undefined);
    this.#updateLag();
    this.#o.onProgress?.(
      [...this.#slots.values()].map((s) => ({
        partition: s.partition,
        committedNext: s.storedNext ?? s.next,
        highWatermark: s.highWatermark,
      })),
    );
    if (refused > 0) await this.#commit();
  }

  /** Drops a partition's state and reopens it from the store, seeking to the stored position. */
  async #reopen(partition: number, reason: string): Promise<void> {
    const old = this.#slots.get(partition);
    if (old !== undefined) this.#task.close?.(old.state);
    this.#slots.delete(partition);
    this.#resume(partition);
    this.#o.log.warn({ partition, reason }, "reloading partition state from the store");
    try {
      const slot = await this.#open(partition);
      this.#consumer?.seek(this.#o.topic, partition, slot.next);
    } catch (err) {
      // The next batch or tick opens it again; that batch then seeks back if needed.
      this.#warn(err, "reopen failed", { partition });
    }
  }

  #pause(partition: number): void {
    if (this.#paused.has(partition)) return;
    this.#paused.add(partition);
    this.#consumer?.pause(this.#o.topic, [partition]);
  }

  #resume(partition: number): void {
    if (!this.#paused.delete(partition)) return;
    this.#consumer?.resume(this.#o.topic, [partition]);
  }

  #updateLag(): void {
    const m = this.#m;
    if (m === undefined) return;
    for (const slot of this.#slots.values()) {
      const lag = Math.max(0, slot.highWatermark - (slot.storedNext ?? slot.next));
      m.lag.set({ processor: this.#task.name, partition: String(slot.partition) }, lag);
      m.consumerLag.set({ topic: this.#o.topic, partition: String(slot.partition), group: this.#o.groupId }, lag);
    }
  }

  #warn(err: unknown, msg: string, extra: Record<string, unknown> = {}): void {
    this.#o.log.warn({ err: errorMessage(err), ...extra }, msg);
  }
}
