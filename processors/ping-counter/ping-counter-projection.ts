import { type PingRecorded, PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import type { Projection } from "../../runtime/processor/projection.js";
import type { RedisOp } from "../../runtime/state/redis-state-store.js";
import { minuteField, minuteOf, PING_COUNTER, TOTAL_FIELD } from "./ping-counter-keys.js";

/** Increments per event-time minute, buffered between flushes. */
export type PingIncrements = Map<number, number>;

export const pingCounterProjection: Projection<PingRecorded, PingIncrements> = {
  name: PING_COUNTER,
  topic: "pings",
  message: PingRecordedSchema,
  emptyBatch: () => new Map(),
  add(batch, { message }) {
    const timestampMs = Number(message.timestampMs);
    if (!Number.isSafeInteger(timestampMs) || timestampMs <= 0) {
      throw new TributaryError("invalid_argument", `timestamp_ms must be > 0, got ${message.timestampMs}`, {
        field: "timestamp_ms",
      });
    }
    const minute = minuteOf(timestampMs);
    batch.set(minute, (batch.get(minute) ?? 0) + 1);
  },
};

/** All chunks' increments merged into HINCRBYs on one hash. */
export function pingCounterOps(key: string, chunks: readonly PartitionChunk<PingIncrements>[]): RedisOp[] {
  const perMinute = new Map<number, number>();
  let total = 0;
  for (const chunk of chunks) {
    for (const [minute, n] of chunk.batch) {
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + n);
      total += n;
    }
  }
  const ops: RedisOp[] = [...perMinute].map(([minute, by]) => ({ op: "hincrby", key, field: minuteField(minute), by }));
  if (total > 0) ops.push({ op: "hincrby", key, field: TOTAL_FIELD, by: total });
  return ops;
}
