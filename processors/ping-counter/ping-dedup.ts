import type { KeyValueOp } from "../../runtime/processor/core/key-value-op.js";
import { HEADER_IDEMPOTENCY_KEY } from "../../runtime/serde/topic-codec.js";
import { minuteField, TOTAL_FIELD } from "./ping-counter-keys.js";

/**
 * Deduplication of keyed pings (written with an Idempotency-Key; their id is derived from the
 * caller's key, so a retry after a crash is a second record with the same id). Only records
 * carrying the record header are checked: keyless pings keep the plain HINCRBY path.
 */
export const IDEMPOTENCY_RECORD_HEADER = HEADER_IDEMPOTENCY_KEY;

/** Seen ids are grouped by event-time hour: a retry carries the same timestamp, so the same bucket. */
export const SEEN_BUCKET_MS = 3_600_000;

/** A keyed ping buffered between flushes: counted only if its id was not seen in its bucket. */
export interface KeyedPing {
  readonly id: string;
  readonly minute: number;
}

/**
 * Hash of seen ids of one event-time hour: `<ns>ping:seen:<hour>`. A few keys per commit (one per
 * hour the batch's keyed pings fall in), each declared to the script, not one key per record.
 */
export function pingSeenKey(namespace: string, hour: number): string {
  return `${namespace}ping:seen:${hour}`;
}

/**
 * One `hincrby_once` per keyed ping: HSETNX of its id in its hour's seen hash, and only when new
 * its minute and the total. The seen hash expires `windowMs` after its last new id (refreshed on
 * every new one), so an id is remembered at least the window (IDEMPOTENCY_WINDOW_MS) after its write.
 */
export function keyedPingOps(
  countersKey: string,
  namespace: string,
  keyed: readonly KeyedPing[],
  windowMs: number,
): KeyValueOp[] {
  return keyed.map((ping) => ({
    op: "hincrby_once",
    key: pingSeenKey(namespace, Math.floor((ping.minute * 60_000) / SEEN_BUCKET_MS)),
    field: ping.id,
    ttlMs: windowMs,
    increments: [
      { key: countersKey, field: minuteField(ping.minute), by: 1 },
      { key: countersKey, field: TOTAL_FIELD, by: 1 },
    ],
  }));
}
