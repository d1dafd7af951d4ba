import type { Message } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { errorMessage } from "../errors.js";
import type { OutgoingRecord } from "../kafka/kafka-adapter.js";
import type { Logger } from "../observability/logger.js";
import { counter, gauge } from "../observability/metrics.js";
import type { KeyValueOp } from "./core/key-value-op.js";
import type { PartitionTask } from "./core/partition-task.js";
import type { ProducerPort, RecordCodec } from "./core/ports.js";
import type { OffsetSafeStore } from "./offset-safe-store.js";
import { type LoadedTimer, PartitionTimers, type TimerValueCodec } from "./partition-timers.js";
import type { TimerEntry, TimerKeys, TimerLogic, TimerTable } from "./timer-logic.js";
import type { TimerRebuild } from "./timer-rebuild.js";

/** What one timer commit writes: the mirror's net changes and the fired timers' records. */
export interface TimerChanges {
  readonly ops: readonly KeyValueOp[];
  readonly outputs: readonly OutgoingRecord[];
}

/** A partition's timers as stored, read in one consistent snapshot with its offset. */
export interface TimerSnapshot {
  readonly storedNext: number | null;
  /** Largest event time applied (the watermark before lateness); null before any record. */
  readonly maxEventMs: number | null;
  /** Every stored timer (any order); deadlines are read from the values (`deadlineOf`). */
  readonly entries: readonly { readonly key: string; readonly encoded: string }[];
  /** Timers still in the earlier layout (`TimerKeys.legacyTimers`), to move into the buckets. */
  readonly legacy?: readonly { readonly key: string; readonly encoded: string }[];
}

/** Where timers live: a key-value store that commits ops with offsets and reads snapshots. */
export interface TimerStore extends OffsetSafeStore<TimerChanges> {
  load(partition: number): Promise<TimerSnapshot>;
}

export interface TimerTaskOptions<M extends Message, V> {
  readonly logic: TimerLogic<M, V>;
  readonly keys: TimerKeys;
  readonly store: TimerStore;
  readonly codec: RecordCodec;
  /** Producer of fired timers (idempotent, acks=all). */
  readonly producer: ProducerPort;
  /** Physical topic fired timers are written to. */
  readonly outputTopic: string;
  /** Watermark = largest event time seen minus this: how late (out of order) a record may be. */
  readonly allowedLatenessMs: number;
  /**
   * A partition without stored offsets (state lost) is rebuilt as this plans: from a bounded
   * start, without re-emitting timers already fired. Without it, from the log start, re-emitting.
   */
  readonly rebuild?: TimerRebuild;
  /**
   * How often an idle partition commits its unchanged position anyway (default 1000): the
   * compare-and-set then notices state lost under it (FLUSHALL) and the rebuild starts without
   * waiting for the next record. One small script call per interval.
   */
  readonly lostStateCheckMs?: number;
  readonly log: Logger;
  readonly metrics?: Registry;
}

interface TimerState<V> {
  readonly partition: number;
  maxEventMs: number | null;
  storedMaxEventMs: number | null;
  /** Processing-time watermark, raised by the tick only while the partition is caught up. */
  idleWatermarkMs: number;
  readonly timers: PartitionTimers<V>;
  /** Fired timers not yet emitted; emitted before the commit that removes them from the store. */
  outputs: OutgoingRecord[];
  /** While rebuilding: firing ids already in the output topic, skipped instead of emitted. */
  fired: ReadonlySet<string> | undefined;
  forgetFiredAtMs: number;
  /** Firings skipped during this rebuild. */
  skipped: number;
  /** The next commit checks the stored offset even without changes. */
  probe: boolean;
  /** Deletes of the earlier layout, written by the commit that moves its timers. */
  migration: KeyValueOp[];
}

/**
 * Event-time timers as a partition task.
 *
 * - State: each partition's timers live in the store (bucketed hashes of encoded values; the
 *   deadline is read from the value) and in an in-memory mirror (values kept encoded, a heap of
 *   deadlines) loaded when the partition opens; a commit writes the mirror's net changes and the
 *   watermark with the offsets, atomically, so a crash resumes from state matching its offsets.
 * - Event time: a timer fires only when the partition's watermark (largest event time applied,
 *   minus the allowed lateness) reaches its deadline, checked after every record. A backlog is
 *   applied in log order, so a Stop waiting in it is applied before the watermark can pass its
 *   Start's deadline, however late the consumer is.
 * - Idle partitions: when everything before the end offset (read after the clock) has been
 *   applied, the watermark may advance to that clock reading minus the allowed lateness.
 * - Output: fired timers are produced (acks=all) before the commit that removes them; a crash in
 *   between re-emits them with the same key, which downstream deduplicates.
 */
export function timerTask<M extends Message, V>(
  o: TimerTaskOptions<M, V>,
): PartitionTask<M, TimerState<V>, TimerChanges> {
  const { logic, keys } = o;
  const m = o.metrics;
  const byPartition = ["processor", "partition"];
  const metrics = m && {
    fired: counter(m, "tributary_timers_fired_total", "Timers fired (emitted, before commit)", ["processor"]),
    pending: gauge(m, "tributary_timers_pending", "Pending timers in the mirror", byPartition),
    skipped: counter(m, "tributary_timers_refire_skipped_total", "Rebuild: firings already emitted, skipped", [
      "processor",
    ]),
    watermark: gauge(m, "tributary_timers_watermark_ms", "Effective watermark (event time, ms)", byPartition),
  };
  const watermark = (state: TimerState<V>): number => {
    const fromEvents = state.maxEventMs === null ? Number.NEGATIVE_INFINITY : state.maxEventMs - o.allowedLatenessMs;
    return Math.max(fromEvents, state.idleWatermarkMs);
  };
  const emit = (state: TimerState<V>, entry: TimerEntry<V>, firedAtMs: number): void => {
    if (state.fired !== undefined && logic.firedIdOf !== undefined && state.fired.has(logic.firedIdOf(entry))) {
      state.skipped++;
      metrics?.skipped.inc({ processor: logic.name });
      return;
    }
    const out = logic.onFire(entry, firedAtMs);
    state.outputs.push(o.codec.encode(o.outputTopic, logic.outputMessage, out.message, out.key, { ...out.headers }));
    metrics?.fired.inc({ processor: logic.name });
  };
  const fireDue = (state: TimerState<V>): void => {
    const wm = watermark(state);
    for (let e = state.timers.popDue(wm); e !== undefined; e = state.timers.popDue(wm)) emit(state, e, wm);
    if (state.fired !== undefined && wm >= state.forgetFiredAtMs) {
      o.log.info({ partition: state.partition, skipped: state.skipped }, "timer rebuild: past every earlier firing");
      state.fired = undefined;
    }
  };
  const table = (state: TimerState<V>, eventTimeMs: number): TimerTable<V> => ({
    get: (key) => state.timers.get(key),
    set: (key, value, deadlineMs) => state.timers.set({ key, value, deadlineMs }),
    cancel: (key) => {
      state.timers.remove(key);
    },
    fire: (key) => {
      const entry = state.timers.take(key);
      if (entry !== undefined) emit(state, entry, eventTimeMs);
    },
  });
  const updateGauges = (state: TimerState<V>): void => {
    if (metrics === undefined) return;
    const labels = { processor: logic.name, partition: String(state.partition) };
    metrics.pending.set(labels, state.timers.size);
    const wm = watermark(state);
    if (Number.isFinite(wm)) metrics.watermark.set(labels, wm);
  };

  const codecOf = (partition: number): TimerValueCodec<V> => ({
    encode: (value) => logic.encodeValue(value),
    decode: (encoded, key) => logic.decodeValue(encoded, key),
    deadlineOf: (encoded, key) => logic.deadlineOf(encoded, key),
    onUndecodable: (key, err) =>
      o.log.warn({ err: errorMessage(err), partition, key }, "undecodable timer value: dropped"),
  });

  /**
   * Timers of an earlier layout become unstored mirror entries (the next commit writes them into
   * the buckets with their index entries); the returned deletes go into that same commit.
   */
  const migrate = (partition: number, snapshot: TimerSnapshot, timers: PartitionTimers<V>): KeyValueOp[] => {
    const legacy = snapshot.legacy ?? [];
    if (legacy.length === 0) return [];
    const dropped = new Set<string>([
      ...(keys.legacyTimers === undefined ? [] : [keys.legacyTimers(partition)]),
      ...(keys.legacyKeys?.(partition) ?? []),
    ]);
    let moved = 0;
    for (const { key, encoded } of legacy) {
      try {
        if (timers.get(key) !== undefined) continue;
        const entry = { key, value: logic.decodeValue(encoded, key), deadlineMs: logic.deadlineOf(encoded, key) };
        timers.set(entry);
        for (const k of logic.legacyIndexKeys?.(entry) ?? []) dropped.add(k);
        moved++;
      } catch (err) {
        o.log.warn({ err: errorMessage(err), partition, key }, "undecodable timer value: dropped");
      }
    }
    o.log.info({ partition, moved, deleted: dropped.size }, "timers moved from the earlier layout");
    return [...dropped].map((key) => ({ op: "del", key }));
  };

  let lastProbeAtMs = Number.NEGATIVE_INFINITY;
  return {
    name: logic.name,
    message: logic.message,
    store: o.store,
    async open(partition) {
      const snapshot = await o.store.load(partition);
      const entries: LoadedTimer[] = [];
      for (const { key, encoded } of snapshot.entries) {
        try {
          entries.push({ key, encoded, deadlineMs: logic.deadlineOf(encoded, key) });
        } catch (err) {
          o.log.warn({ err: errorMessage(err), partition, key }, "undecodable timer value: dropped");
        }
      }
      o.log.info(
        { partition, storedNext: snapshot.storedNext, timers: entries.length, watermark: snapshot.maxEventMs },
        "partition state loaded",
      );
      const plan = snapshot.storedNext === null ? await o.rebuild?.plan(partition) : undefined;
      const timers = PartitionTimers.loaded(codecOf(partition), entries);
      const migration = migrate(partition, snapshot, timers);
      return {
        storedNext: snapshot.storedNext,
        state: {
          partition,
          maxEventMs: snapshot.maxEventMs,
          storedMaxEventMs: snapshot.maxEventMs,
          idleWatermarkMs: Number.NEGATIVE_INFINITY,
          timers,
          outputs: [],
          fired: plan?.fired,
          forgetFiredAtMs: plan?.forgetFiredAtMs ?? Number.NEGATIVE_INFINITY,
          skipped: 0,
          probe: false,
          migration,
        },
      };
    },
    apply(state, record) {
      const eventTimeMs = logic.eventTimeOf(record);
      logic.apply(record, eventTimeMs, table(state, eventTimeMs));
      if (state.maxEventMs === null || eventTimeMs > state.maxEventMs) state.maxEventMs = eventTimeMs;
      fireDue(state);
    },
    endOffsetsEveryTick: true,
    // Fired timers go out at the end of the batch rather than at the next tick: callback latency.
    afterBatch: async (state) => state.outputs.length > 0,
    async tick(open, { readAtMs, ends }) {
      let fired = false;
      const probe = readAtMs - lastProbeAtMs >= (o.lostStateCheckMs ?? 1_000);
      if (probe) lastProbeAtMs = readAtMs;
      for (const { partition, state, next } of open) {
        state.probe ||= probe;
        const end = ends.find((e) => e.partition === partition);
        if (end !== undefined && next >= end.high) {
          state.idleWatermarkMs = Math.max(state.idleWatermarkMs, readAtMs - o.allowedLatenessMs);
          fireDue(state);
        }
        fired ||= state.outputs.length > 0;
        updateGauges(state);
      }
      return fired || probe;
    },
    take(state) {
      const p = state.partition;
      const ops = state.timers.ops(keys, p, (entry, change) => logic.indexOps?.(entry, change, p) ?? []);
      ops.push(...state.migration);
      if (state.maxEventMs !== null && state.maxEventMs !== state.storedMaxEventMs) {
        ops.push({ op: "hset", key: keys.watermarks, field: String(p), value: String(state.maxEventMs) });
      }
      const probe = state.probe;
      state.probe = false;
      // The mirror keeps its change marks until `committed`; a failed commit reloads it.
      return ops.length === 0 && state.outputs.length === 0 && !probe ? null : { ops, outputs: state.outputs };
    },
    emptyChanges: () => ({ ops: [], outputs: [] }),
    async beforeCommit(work) {
      // Emit before the timers leave the store: a crash in between re-emits them (same key).
      const outputs = work.flatMap((w) => w.changes.outputs);
      if (outputs.length === 0) return;
      try {
        await o.producer.sendAll(o.outputTopic, outputs);
      } finally {
        // A rebuild planned from now on must read these (even a partly failed send) from the topic.
        o.rebuild?.invalidate();
      }
    },
    committed(state) {
      state.timers.markCommitted();
      state.migration = [];
      state.storedMaxEventMs = state.maxEventMs;
      state.outputs = [];
      updateGauges(state);
    },
  };
}
