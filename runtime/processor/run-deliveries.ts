import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { errorMessage, TributaryError } from "../errors.js";
import type {
  KafkaAdapter,
  PartitionBatch,
  RecordConsumer,
  RecordPosition,
  RecordProducer,
} from "../kafka/kafka-adapter.js";
import type { Logger } from "../observability/logger.js";
import { counter, gauge } from "../observability/metrics.js";
import type { DecodedRecord, TopicCodec } from "../serde/topic-codec.js";
import { AsyncMutex } from "./async-mutex.js";
import { sendToDeadLetter } from "./dead-letter.js";
import { DeadlineHeap } from "./deadline-heap.js";
import type { OffsetSafeStore, PartitionChunk } from "./offset-safe-store.js";
import { type RetrySchedule, retryDelayMs } from "./retry-schedule.js";
import { runSerializedConsumer } from "./serialized-consumer.js";

/** Result of one attempt. Handlers never throw: every failure is an outcome with a retry decision. */
export type AttemptOutcome =
  | { readonly delivered: true; readonly status: string }
  | { readonly delivered: false; readonly retryable: boolean; readonly status: string; readonly error: string };

/** The side effect of a delivery processor (an HTTP call, an RPC), free of Kafka and store plumbing. */
export interface DeliveryHandler<M extends Message> {
  /** Processor name: metrics label, DLQ header. */
  readonly name: string;
  /** Logical (catalog) topic consumed. */
  readonly topic: string;
  readonly message: DescMessage;
  /** Identity of the effect, the same across retries and re-emissions: the idempotency key. */
  keyOf(record: DecodedRecord<M>): string;
  attempt(record: DecodedRecord<M>, key: string, attempt: number, signal: AbortSignal): Promise<AttemptOutcome>;
}

export type DeliveryStatus = "delivering" | "delivered" | "failed";

export interface Delivery<M extends Message> {
  readonly key: string;
  readonly record: DecodedRecord<M>;
  readonly partition: number;
  readonly offset: number;
  readonly generation: number;
  status: DeliveryStatus;
  attempts: number;
  firstAttemptAtMs: number | null;
  lastAttemptAtMs: number | null;
  finishedAtMs: number | null;
  lastStatus: string;
  lastError: string | null;
}

/** What one commit writes for a partition: deliveries taken in, deliveries finished. */
export interface DeliveryChanges<M extends Message> {
  readonly started: readonly Delivery<M>[];
  readonly finished: readonly Delivery<M>[];
}

/** Where outcomes and offsets live (Postgres: one SQL transaction per commit). */
export interface DeliveryLedger<M extends Message> {
  /** The keys among `keys` whose delivery already finished (delivered or given up). */
  finished(keys: readonly string[]): Promise<Set<string>>;
  readonly store: OffsetSafeStore<DeliveryChanges<M>>;
}

export interface DeliveryRunOptions<M extends Message> {
  readonly handler: DeliveryHandler<M>;
  readonly ledger: DeliveryLedger<M>;
  readonly kafka: KafkaAdapter;
  readonly codec: TopicCodec;
  /** Producer for dead letters (idempotent, acks=all). */
  readonly producer: RecordProducer;
  readonly physicalTopic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  readonly sessionTimeoutMs?: number;
  readonly schedule: RetrySchedule;
  /** Attempts running at once, across partitions. */
  readonly maxConcurrent: number;
  /** Unfinished deliveries per partition before its consumption pauses (bounds memory). */
  readonly maxInFlightPerPartition: number;
  /** How often outcomes and offsets are committed. */
  readonly flushIntervalMs: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics?: Registry;
  readonly now?: () => number;
}

interface DeliveryPartition<M extends Message> {
  readonly partition: number;
  readonly generation: number;
  /** What the store holds (null: never committed): the CAS expectation. */
  storedNext: number | null;
  /** Offset the store holds or would start from; a commit is due when the position differs. */
  committedNext: number;
  /** Next offset to take in. */
  next: number;
  seekedTo: number | null;
  /** Unfinished deliveries by offset, in offset order (Map keeps insertion order). */
  readonly inflight: Map<number, Delivery<M>>;
  /** Deliveries in flight or finished but not yet committed, by key: duplicates are skipped. */
  readonly byKey: Map<string, Delivery<M>>;
  started: Delivery<M>[];
  finished: Delivery<M>[];
  paused: boolean;
}

/**
 * Runs a side-effect processor (callbacks, webhooks) with retries that never block the pipeline.
 *
 * Records are taken in as soon as they arrive and become deliveries scheduled on one timer heap;
 * a failed attempt is re-scheduled (exponential backoff with jitter) instead of being waited for,
 * so a slow or failing target holds up neither other partitions nor later records of its own
 * partition. Offsets are committed in order: a partition's committed position is its oldest
 * unfinished delivery, so a crash re-delivers at most what was unfinished or uncommitted (at least
 * once, same idempotency key) and never skips one. A partition pauses when it holds too many
 * unfinished deliveries, which bounds memory when a target is down for long. Outcomes and offsets
 * are written in one SQL transaction; a key the ledger already finished is not delivered again.
 */
export class DeliveryRunner<M extends Message> {
  readonly #o: DeliveryRunOptions<M>;
  readonly #now: () => number;
  readonly #mutex = new AsyncMutex();
  readonly #partitions = new Map<number, DeliveryPartition<M>>();
  readonly #queue = new DeadlineHeap<Delivery<M>>();
  #consumer: RecordConsumer | undefined;
  #generation = 0;
  #active = 0;
  #wake: NodeJS.Timeout | undefined;
  #wakeAt = Number.POSITIVE_INFINITY;
  #stopping = false;
  readonly #m;

  constructor(options: DeliveryRunOptions<M>) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const m = options.metrics;
    this.#m = m && {
      attempts: counter(m, "tributary_delivery_attempts_total", "Delivery attempts by result", ["processor", "result"]),
      outcomes: counter(m, "tributary_deliveries_total", "Finished deliveries by outcome", ["processor", "outcome"]),
      deadLetters: counter(m, "tributary_processor_dead_letters_total", "Records sent to the DLQ", ["processor"]),
      inflight: gauge(m, "tributary_deliveries_in_flight", "Unfinished deliveries", ["processor"]),
    };
  }

  async run(): Promise<void> {
    try {
      await runSerializedConsumer({
        kafka: this.#o.kafka,
        groupId: this.#o.groupId,
        ...(this.#o.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: this.#o.sessionTimeoutMs }),
        topic: this.#o.physicalTopic,
        signal: this.#o.signal,
        mutex: this.#mutex,
        intervalMs: this.#o.flushIntervalMs,
        onConsumer: (consumer) => {
          this.#consumer = consumer;
        },
        onBatch: (batch) => this.#accept(batch),
        onInterval: () => this.#flush(),
        onAssignment: (partitions) => this.#assign(partitions),
        onStopped: async () => {
          // Shutdown: no new attempts; running ones see the aborted signal and end unfinished (the
          // next owner retries them); what finished is committed.
          this.#stopping = true;
          clearTimeout(this.#wake);
          const deadline = this.#now() + 5_000;
          while (this.#active > 0 && this.#now() < deadline) await new Promise((r) => setTimeout(r, 20));
          await this.#mutex.run(() => this.#flush());
        },
        onError: (err, context) => this.#warn(err, context),
      });
    } finally {
      this.#stopping = true;
      clearTimeout(this.#wake);
    }
  }

  async #assign(partitions: readonly number[]): Promise<void> {
    await this.#flush().catch((err: unknown) => this.#warn(err, "commit before rebalance failed"));
    // Deliveries of partitions now owned elsewhere must stop; the owned ones restart from the
    // store's offsets (their unfinished deliveries come again, same keys).
    for (const state of this.#partitions.values()) {
      if (state.paused) this.#consumer?.resume(this.#o.physicalTopic, [state.partition]);
    }
    this.#partitions.clear();
    this.#queue.clear();
    this.#o.log.info({ assigned: partitions }, "partitions assigned");
  }

  async #open(partition: number): Promise<DeliveryPartition<M>> {
    const storedNext = await this.#o.ledger.store.readNext(this.#o.physicalTopic, partition);
    const start = storedNext ?? (await this.#initialOffset(partition));
    const state: DeliveryPartition<M> = {
      partition,
      generation: ++this.#generation,
      storedNext,
      committedNext: start,
      next: start,
      seekedTo: null,
      inflight: new Map(),
      byKey: new Map(),
      started: [],
      finished: [],
      paused: false,
    };
    this.#partitions.set(partition, state);
    return state;
  }

  async #initialOffset(partition: number): Promise<number> {
    const offsets = await this.#o.kafka.partitionOffsets(this.#o.physicalTopic);
    return offsets.find((o) => o.partition === partition)?.low ?? 0;
  }

  async #accept(batch: PartitionBatch): Promise<"consumed" | "seeked"> {
    const { codec, handler, signal, physicalTopic, ledger } = this.#o;
    if (signal.aborted || batch.records.length === 0 || batch.topic !== physicalTopic) return "consumed";
    const state = this.#partitions.get(batch.partition) ?? (await this.#open(batch.partition));
    const expected = state.next;
    const first = batch.records[0]?.offset ?? expected;
    if (first > expected && state.seekedTo !== expected) {
      state.seekedTo = expected;
      this.#consumer?.seek(batch.topic, batch.partition, expected);
      return "seeked";
    }
    state.seekedTo = null;
    const fresh: { decoded: DecodedRecord<M>; key: string }[] = [];
    let last = state.next - 1;
    for (const record of batch.records) {
      if (record.offset < state.next) continue;
      last = record.offset;
      try {
        const decoded = await codec.decode<M>(record, handler.message);
        fresh.push({ decoded, key: handler.keyOf(decoded) });
      } catch (err) {
        if (err instanceof TributaryError && err.canRetry) throw err;
        this.#o.log.warn(
          { err: errorMessage(err), partition: record.partition, offset: record.offset },
          "record to DLQ",
        );
        await sendToDeadLetter(this.#o.producer, this.#o.deadLetterTopic, record, handler.name, err);
        this.#m?.deadLetters.inc({ processor: handler.name });
      }
    }
    const unknown = fresh.filter((f) => !state.byKey.has(f.key)).map((f) => f.key);
    const done = unknown.length > 0 ? await ledger.finished(unknown) : new Set<string>();
    const now = this.#now();
    for (const { decoded, key } of fresh) {
      if (state.byKey.has(key) || done.has(key)) {
        // A re-emission (the producer crashed between emitting and committing): the first
        // record's delivery stands for it, and the committed position cannot pass that one first.
        this.#m?.outcomes.inc({ processor: handler.name, outcome: "duplicate" });
        continue;
      }
      const delivery: Delivery<M> = {
        key,
        record: decoded,
        partition: state.partition,
        offset: decoded.record.offset,
        generation: state.generation,
        status: "delivering",
        attempts: 0,
        firstAttemptAtMs: null,
        lastAttemptAtMs: null,
        finishedAtMs: null,
        lastStatus: "",
        lastError: null,
      };
      state.inflight.set(delivery.offset, delivery);
      state.byKey.set(key, delivery);
      state.started.push(delivery);
      this.#queue.push(now, delivery);
    }
    state.next = last + 1;
    if (!state.paused && state.inflight.size >= this.#o.maxInFlightPerPartition) {
      state.paused = true;
      this.#consumer?.pause(physicalTopic, [state.partition]);
      this.#o.log.warn(
        { partition: state.partition, inflight: state.inflight.size },
        "partition paused: too many unfinished deliveries",
      );
    }
    this.#pump();
    return "consumed";
  }

  #live(delivery: Delivery<M>): DeliveryPartition<M> | undefined {
    const state = this.#partitions.get(delivery.partition);
    if (state === undefined || state.generation !== delivery.generation) return undefined;
    return delivery.status === "delivering" && state.inflight.get(delivery.offset) === delivery ? state : undefined;
  }

  /** Starts due attempts up to the concurrency cap; arms one timer for the next due one. */
  #pump(): void {
    if (this.#stopping) return;
    const now = this.#now();
    while (this.#active < this.#o.maxConcurrent) {
      const due = this.#queue.peekDueMs();
      if (due === undefined || due > now) break;
      const delivery = this.#queue.pop();
      if (delivery !== undefined && this.#live(delivery)) void this.#attempt(delivery);
    }
    this.#m?.inflight.set({ processor: this.#o.handler.name }, this.#inflightCount());
    const next = this.#queue.peekDueMs();
    if (next === undefined || this.#active >= this.#o.maxConcurrent) return;
    if (this.#wake !== undefined && this.#wakeAt <= next) return;
    clearTimeout(this.#wake);
    this.#wakeAt = next;
    this.#wake = setTimeout(
      () => {
        this.#wake = undefined;
        this.#wakeAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, next - now),
    );
  }

  async #attempt(delivery: Delivery<M>): Promise<void> {
    const { handler, schedule, signal } = this.#o;
    this.#active += 1;
    delivery.attempts += 1;
    const startedAt = this.#now();
    delivery.firstAttemptAtMs ??= startedAt;
    delivery.lastAttemptAtMs = startedAt;
    let outcome: AttemptOutcome;
    try {
      outcome = await handler.attempt(delivery.record, delivery.key, delivery.attempts, signal);
    } catch (err) {
      outcome = { delivered: false, retryable: true, status: "error", error: errorMessage(err) };
    } finally {
      this.#active -= 1;
    }
    delivery.lastStatus = outcome.status;
    const retry = !outcome.delivered && outcome.retryable && delivery.attempts < schedule.maxAttempts;
    this.#m?.attempts.inc({
      processor: handler.name,
      result: outcome.delivered ? "delivered" : retry ? "retry" : "gave_up",
    });
    if (this.#live(delivery) !== undefined && !signal.aborted) {
      if (outcome.delivered) {
        delivery.lastError = null;
        this.#finish(delivery, "delivered");
      } else {
        delivery.lastError = outcome.error;
        if (retry) this.#queue.push(this.#now() + retryDelayMs(schedule, delivery.attempts), delivery);
        else await this.#giveUp(delivery, outcome.retryable);
      }
    }
    this.#pump();
  }

  async #giveUp(delivery: Delivery<M>, exhausted: boolean): Promise<void> {
    const { handler, producer, deadLetterTopic, schedule } = this.#o;
    const reason = exhausted
      ? `gave up after ${delivery.attempts} attempts: ${delivery.lastStatus} ${delivery.lastError ?? ""}`
      : `permanent failure: ${delivery.lastStatus} ${delivery.lastError ?? ""}`;
    try {
      await sendToDeadLetter(
        producer,
        deadLetterTopic,
        delivery.record.record,
        handler.name,
        new TributaryError(exhausted ? "unavailable" : "invalid_argument", reason.trim()),
      );
      this.#m?.deadLetters.inc({ processor: handler.name });
      if (this.#live(delivery) !== undefined) this.#finish(delivery, "failed");
    } catch (err) {
      // Without the dead letter the delivery must not count as finished: try again later.
      this.#warn(err, "dead letter not written; will retry", { key: delivery.key });
      this.#queue.push(this.#now() + retryDelayMs(schedule, delivery.attempts), delivery);
    }
  }

  #finish(delivery: Delivery<M>, status: DeliveryStatus): void {
    const state = this.#live(delivery);
    if (state === undefined) return;
    delivery.status = status;
    delivery.finishedAtMs = this.#now();
    state.inflight.delete(delivery.offset);
    state.finished.push(delivery);
    this.#m?.outcomes.inc({ processor: this.#o.handler.name, outcome: status });
    if (state.paused && state.inflight.size <= this.#o.maxInFlightPerPartition / 2) {
      state.paused = false;
      this.#consumer?.resume(this.#o.physicalTopic, [state.partition]);
    }
  }

  #inflightCount(): number {
    let n = 0;
    for (const state of this.#partitions.values()) n += state.inflight.size;
    return n;
  }

  /** Commits finished outcomes, taken-in rows and the in-order positions, one SQL transaction. */
  async #flush(): Promise<void> {
    const { physicalTopic, ledger } = this.#o;
    const work: {
      state: DeliveryPartition<M>;
      chunk: PartitionChunk<DeliveryChanges<M>>;
    }[] = [];
    for (const state of this.#partitions.values()) {
      const oldest = state.inflight.keys().next();
      const nextOffset = oldest.done ? state.next : oldest.value;
      if (state.started.length === 0 && state.finished.length === 0 && nextOffset === state.committedNext) continue;
      const batch = { started: state.started, finished: state.finished };
      state.started = [];
      state.finished = [];
      work.push({
        state,
        chunk: {
          topic: physicalTopic,
          partition: state.partition,
          expectedNext: state.storedNext,
          nextOffset,
          batch,
          records: batch.started.length + batch.finished.length,
        },
      });
    }
    if (work.length === 0) return;
    let conflicted: Set<number>;
    try {
      conflicted = new Set((await ledger.store.commit(work.map((w) => w.chunk))).map((c) => c.partition));
    } catch (err) {
      // Nothing was written; the changes go back to be committed with the next flush.
      for (const { state, chunk } of work) {
        state.started = [...chunk.batch.started, ...state.started];
        state.finished = [...chunk.batch.finished, ...state.finished];
      }
      throw err;
    }
    const hints: RecordPosition[] = [];
    for (const { state, chunk } of work) {
      if (conflicted.has(state.partition)) {
        await this.#reset(state.partition);
        continue;
      }
      state.storedNext = chunk.nextOffset;
      state.committedNext = chunk.nextOffset;
      for (const d of chunk.batch.finished) if (state.byKey.get(d.key) === d) state.byKey.delete(d.key);
      hints.push({ topic: physicalTopic, partition: state.partition, offset: chunk.nextOffset });
    }
    void this.#consumer?.commitHint(hints).catch(() => undefined);
  }

  async #reset(partition: number): Promise<void> {
    const state = this.#partitions.get(partition);
    if (state?.paused) this.#consumer?.resume(this.#o.physicalTopic, [partition]);
    this.#partitions.delete(partition);
    this.#o.log.warn({ partition }, "offset conflict: another owner committed; restarting from the store");
    try {
      const fresh = await this.#open(partition);
      this.#consumer?.seek(this.#o.physicalTopic, partition, fresh.next);
    } catch (err) {
      this.#partitions.delete(partition);
      this.#warn(err, "reopen failed", { partition });
    }
  }

  #warn(err: unknown, msg: string, extra: Record<string, unknown> = {}): void {
    this.#o.log.warn({ err: errorMessage(err), ...extra }, msg);
  }
}
