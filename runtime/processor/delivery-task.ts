import type { Message } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { errorMessage, TributaryError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { counter, gauge } from "../observability/metrics.js";
import type { DecodedRecord } from "../serde/topic-codec.js";
import type { PartitionTask, TaskContext } from "./core/partition-task.js";
import type { Clock } from "./core/ports.js";
import { DeadlineHeap } from "./deadline-heap.js";
import type {
  AttemptOutcome,
  Delivery,
  DeliveryAttemptRecord,
  DeliveryChanges,
  DeliveryHandler,
  DeliveryLedger,
  DeliveryStatus,
} from "./delivery.js";
import { endDeliverySpan, startDeliverySpan } from "./delivery-span.js";
import { type RetrySchedule, retryDelayMs } from "./retry-schedule.js";

export interface DeliveryTaskOptions<M extends Message> {
  readonly handler: DeliveryHandler<M>;
  readonly ledger: DeliveryLedger<M>;
  /** Physical topic consumed (the ledger's offsets are per physical topic). */
  readonly physicalTopic: string;
  readonly schedule: RetrySchedule;
  /** Attempts running at once, across partitions. */
  readonly maxConcurrent: number;
  /** Unfinished deliveries per partition before its consumption pauses (bounds memory). */
  readonly maxInFlightPerPartition: number;
  /** How long shutdown waits for running attempts before committing without them. */
  readonly stopGraceMs?: number;
  /** Aborts running attempts on shutdown. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics?: Registry;
  readonly random?: () => number;
}

interface DeliveryState<M extends Message> {
  readonly partition: number;
  closed: boolean;
  /** Unfinished deliveries by offset, in offset order (Map keeps insertion order). */
  readonly inflight: Map<number, Delivery<M>>;
  /** Deliveries in flight or finished but not yet committed, by key: duplicates are skipped. */
  readonly byKey: Map<string, Delivery<M>>;
  /** Taken in by `apply`, waiting for the ledger check of the batch's end. */
  intake: Delivery<M>[];
  started: Delivery<M>[];
  attempts: DeliveryAttemptRecord[];
  finished: Delivery<M>[];
}

interface Scheduled<M extends Message> {
  readonly delivery: Delivery<M>;
  readonly state: DeliveryState<M>;
}

/**
 * Side effects (callbacks, webhooks) as a partition task, with retries that never block the
 * pipeline: records become deliveries scheduled on one timer heap; a failed attempt is
 * re-scheduled (backoff with jitter, Retry-After honoured) instead of being waited for, so a slow
 * target holds up neither other partitions nor later records of its own partition. A partition's
 * committed position is its oldest unfinished delivery, so a crash re-delivers at most what was
 * unfinished or uncommitted (same idempotency key) and never skips one; each attempt is logged
 * with the offsets, and a ledger with `progress` lets a restarted delivery continue its schedule.
 * A partition pauses while it holds too many unfinished deliveries, which bounds memory.
 */
export function deliveryTask<M extends Message>(
  o: DeliveryTaskOptions<M>,
): PartitionTask<M, DeliveryState<M>, DeliveryChanges<M>> & { readonly active: () => number } {
  const { handler, ledger, schedule } = o;
  const random = o.random ?? Math.random;
  const queue = new DeadlineHeap<Scheduled<M>>();
  const m = o.metrics;
  const metrics = m && {
    attempts: counter(m, "tributary_delivery_attempts_total", "Delivery attempts by result", ["processor", "result"]),
    outcomes: counter(m, "tributary_deliveries_total", "Finished deliveries by outcome", ["processor", "outcome"]),
    inflight: gauge(m, "tributary_deliveries_in_flight", "Unfinished deliveries", ["processor"]),
  };
  const states = new Set<DeliveryState<M>>();
  let ctx: TaskContext | undefined;
  let clock: Clock | undefined;
  let active = 0;
  let wake: unknown;
  let wakeAtMs = Number.POSITIVE_INFINITY;
  let stopping = false;

  const now = () => clock?.now() ?? Date.now();
  const live = (s: Scheduled<M>): boolean =>
    !s.state.closed && s.delivery.status === "delivering" && s.state.inflight.get(s.delivery.offset) === s.delivery;

  const pump = (): void => {
    if (stopping || clock === undefined) return;
    const t = now();
    while (active < o.maxConcurrent) {
      const due = queue.peekDueMs();
      if (due === undefined || due > t) break;
      const next = queue.pop();
      if (next !== undefined && live(next)) void attempt(next);
    }
    let unfinished = 0;
    for (const s of states) unfinished += s.inflight.size;
    metrics?.inflight.set({ processor: handler.name }, unfinished);
    const nextDue = queue.peekDueMs();
    if (nextDue === undefined || active >= o.maxConcurrent) return;
    if (wake !== undefined && wakeAtMs <= nextDue) return;
    if (wake !== undefined) clock.clearTimeout(wake);
    wakeAtMs = nextDue;
    wake = clock.setTimeout(
      () => {
        wake = undefined;
        wakeAtMs = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, nextDue - t),
    );
  };

  const finish = (s: Scheduled<M>, status: DeliveryStatus): void => {
    if (!live(s)) return;
    const { delivery, state } = s;
    delivery.status = status;
    delivery.finishedAtMs = now();
    state.inflight.delete(delivery.offset);
    state.finished.push(delivery);
    metrics?.outcomes.inc({ processor: handler.name, outcome: status });
    if (state.inflight.size <= o.maxInFlightPerPartition / 2) ctx?.resume(state.partition);
  };

  const nextDelayMs = (delivery: Delivery<M>, outcome: AttemptOutcome): number => {
    const backoff = retryDelayMs(schedule, delivery.attempts, random);
    const asked = outcome.delivered ? 0 : (outcome.retryAfterMs ?? 0);
    return Math.max(backoff, Math.min(asked, Math.max(schedule.maxDelayMs, ...(schedule.delaysMs ?? []))));
  };

  const giveUp = async (s: Scheduled<M>, exhausted: boolean): Promise<boolean> => {
    const { delivery } = s;
    const reason = exhausted
      ? `gave up after ${delivery.attempts} attempts: ${delivery.lastStatus} ${delivery.lastError ?? ""}`
      : `permanent failure: ${delivery.lastStatus} ${delivery.lastError ?? ""}`;
    try {
      await ctx?.deadLetter(
        delivery.record.record,
        new TributaryError(exhausted ? "unavailable" : "invalid_argument", reason.trim()),
      );
      return true;
    } catch (err) {
      // Without the dead letter the delivery must not count as finished: try again later.
      o.log.warn({ err: errorMessage(err), key: delivery.key }, "dead letter not written; will retry");
      return false;
    }
  };

  const attempt = async (s: Scheduled<M>): Promise<void> => {
    const { delivery, state } = s;
    active += 1;
    delivery.attempts += 1;
    const startedAtMs = now();
    delivery.firstAttemptAtMs ??= startedAtMs;
    delivery.lastAttemptAtMs = startedAtMs;
    let outcome: AttemptOutcome;
    const traced = startDeliverySpan(handler.name, delivery.record, delivery.attempts);
    try {
      outcome = await handler.attempt(traced?.record ?? delivery.record, delivery.key, delivery.attempts, o.signal);
    } catch (err) {
      outcome = { delivered: false, retryable: true, status: "error", error: errorMessage(err) };
    } finally {
      active -= 1;
    }
    endDeliverySpan(traced?.span ?? null, outcome);
    const durationMs = now() - startedAtMs;
    delivery.lastStatus = outcome.status;
    const retry = !outcome.delivered && outcome.retryable && delivery.attempts < schedule.maxAttempts;
    const result = outcome.delivered ? "delivered" : retry ? "retry" : "gave_up";
    metrics?.attempts.inc({ processor: handler.name, result });
    // An attempt cut short by shutdown, or on a partition that moved away, is not logged: the
    // next owner makes it again under the same number.
    if (live(s) && !o.signal.aborted) {
      delivery.lastError = outcome.delivered ? null : outcome.error;
      // A give-up whose dead letter could not be written stays a retry: nothing is lost.
      const done = outcome.delivered || (!retry && (await giveUp(s, outcome.retryable)));
      const nextAttemptAtMs = done ? null : now() + nextDelayMs(delivery, outcome);
      if (live(s)) {
        state.attempts.push({
          key: delivery.key,
          partition: delivery.partition,
          offset: delivery.offset,
          attempt: delivery.attempts,
          startedAtMs,
          durationMs,
          status: outcome.status,
          error: delivery.lastError,
          responseExcerpt: outcome.responseExcerpt ?? null,
          nextAttemptAtMs,
          result: done ? result : "retry",
        });
        if (done) finish(s, outcome.delivered ? "delivered" : "failed");
        else queue.push(nextAttemptAtMs ?? now(), s);
      }
    }
    pump();
  };

  return {
    name: handler.name,
    message: handler.message,
    store: ledger.store,
    active: () => active,
    async open(partition) {
      const state: DeliveryState<M> = {
        partition,
        closed: false,
        inflight: new Map(),
        byKey: new Map(),
        intake: [],
        started: [],
        attempts: [],
        finished: [],
      };
      states.add(state);
      return { storedNext: await ledger.store.readNext(o.physicalTopic, partition), state };
    },
    apply(state, record: DecodedRecord<M>, context) {
      ctx = context;
      clock = context.clock;
      const key = handler.keyOf(record);
      if (state.byKey.has(key)) {
        // A re-emission (the producer crashed between emitting and committing): the first
        // record's delivery stands for it, and the committed position cannot pass that one first.
        metrics?.outcomes.inc({ processor: handler.name, outcome: "duplicate" });
        return;
      }
      const delivery: Delivery<M> = {
        key,
        record,
        partition: state.partition,
        offset: record.record.offset,
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
      state.intake.push(delivery);
    },
    async afterBatch(state, context) {
      ctx = context;
      clock = context.clock;
      const intake = state.intake;
      state.intake = [];
      if (intake.length > 0) {
        const keys = intake.map((d) => d.key);
        const done = await ledger.finished(keys);
        const progress = ledger.progress === undefined ? new Map() : await ledger.progress(keys);
        const t = now();
        for (const delivery of intake) {
          if (done.has(delivery.key)) {
            state.inflight.delete(delivery.offset);
            state.byKey.delete(delivery.key);
            metrics?.outcomes.inc({ processor: handler.name, outcome: "duplicate" });
            continue;
          }
          const resumed = progress.get(delivery.key);
          if (resumed !== undefined) delivery.attempts = resumed.attempts;
          state.started.push(delivery);
          queue.push(Math.max(t, resumed?.nextAttemptAtMs ?? t), { delivery, state });
        }
      }
      if (state.inflight.size >= o.maxInFlightPerPartition) {
        o.log.warn(
          { partition: state.partition, inflight: state.inflight.size },
          "partition paused: too many unfinished deliveries",
        );
        context.pause(state.partition);
      }
      pump();
      return false;
    },
    async tick(_open, _ends, context) {
      ctx = context;
      clock = context.clock;
      pump();
      return false;
    },
    commitPosition(state, next) {
      const oldest = state.inflight.keys().next();
      return oldest.done ? next : oldest.value;
    },
    take(state) {
      if (state.started.length === 0 && state.attempts.length === 0 && state.finished.length === 0) return null;
      const changes = { started: state.started, attempts: state.attempts, finished: state.finished };
      state.started = [];
      state.attempts = [];
      state.finished = [];
      return changes;
    },
    emptyChanges: () => ({ started: [], attempts: [], finished: [] }),
    committed(state, changes) {
      for (const d of changes.finished) if (state.byKey.get(d.key) === d) state.byKey.delete(d.key);
    },
    restore(state, changes) {
      state.started = [...changes.started, ...state.started];
      state.attempts = [...changes.attempts, ...state.attempts];
      state.finished = [...changes.finished, ...state.finished];
    },
    close(state) {
      // Attempts still running on it finish unlogged; the next owner retries them (same key).
      state.closed = true;
      states.delete(state);
    },
    async stop() {
      // No new attempts; running ones see the aborted signal and end unfinished (the next owner
      // retries them); what finished is committed by the core right after.
      stopping = true;
      if (wake !== undefined) clock?.clearTimeout(wake);
      const graceMs = o.stopGraceMs ?? 5_000;
      for (let waitedMs = 0; active > 0 && waitedMs < graceMs; waitedMs += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
