import { type PingRecorded, PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import type { Projection } from "../../runtime/processor/projection.js";
import type { RedisOp } from "../../runtime/state/redis-state-store.js";
import { minuteField, minuteOf, PING_COUNTER, TOTAL_FIELD } from "./ping-counter-keys.js";
import { IDEMPOTENCY_RECORD_HEADER, type KeyedPing, keyedPingOps } from "./ping-dedup.js";

/**
 * Buffered between flushes: increments per event-time minute of keyless pings, and the keyed
 * pings (Idempotency-Key), which are counted only if their id was not seen (ping-dedup.ts).
 */
export interface PingIncrements {
  readonly minutes: Map<number, number>;
  readonly keyed: KeyedPing[];
}

export const pingCounterProjection: Projection<PingRecorded, PingIncrements> = {
  name: PING_COUNTER,
  topic: "pings",
  message: PingRecordedSchema,
  emptyBatch: () => ({ minutes: new Map(), keyed: [] }),
  add(batch, { message, record }) {
    const timestampMs = Number(message.timestampMs);
    if (!Number.isSafeInteger(timestampMs) || timestampMs <= 0) {
      throw new TributaryError("invalid_argument", `timestamp_ms must be > 0, got ${message.timestampMs}`, {
        field: "timestamp_ms",
      });
    }
    const minute = minuteOf(timestampMs);
    if (record.headers[IDEMPOTENCY_RECORD_HEADER] !== undefined) batch.keyed.push({ id: message.id, minute });
    else batch.minutes.set(minute, (batch.minutes.get(minute) ?? 0) + 1);
  },
};

/** Where keyed pings' seen ids live and how long they are kept (IDEMPOTENCY_WINDOW_MS). */
export interface PingDedupOptions {
  readonly namespace: string;
  readonly windowMs: number;
}

/** All chunks' keyless increments merged into HINCRBYs on one hash, then one dedup op per keyed ping. */
export function pingCounterOps(
  key: string,
  chunks: readonly PartitionChunk<PingIncrements>[],
  dedup: PingDedupOptions,
): RedisOp[] {
  const perMinute = new Map<number, number>();
  let total = 0;
  const keyed: KeyedPing[] = [];
  for (const chunk of chunks) {
    for (const [minute, n] of chunk.batch.minutes) {
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + n);
      total += n;
    }
    for (const ping of chunk.batch.keyed) keyed.push(ping);
  }
  const ops: RedisOp[] = [...perMinute].map(([minute, by]) => ({ op: "hincrby", key, field: minuteField(minute), by }));
  if (total > 0) ops.push({ op: "hincrby", key, field: TOTAL_FIELD, by: total });
  if (keyed.length > 0) ops.push(...keyedPingOps(key, dedup.namespace, keyed, dedup.windowMs));
  return ops;
}
