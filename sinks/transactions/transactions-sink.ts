import type { PoolClient } from "pg";
import { type TransactionEvent, TransactionEventSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import {
  idempotencyKey,
  pairStartStop,
  readTransactionEvent,
  type StartStopOutcome,
  type TransactionFacts,
} from "../../processors/transaction-timer/index.js";
import type { DataTopicName } from "../../runtime/catalog/catalog.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import type { Projection } from "../../runtime/processor/projection.js";

export const TRANSACTIONS_SINK = "transactions-sink";

export type TransactionRecord = TransactionFacts & { readonly partition: number; readonly offset: number };

export function transactionsSinkProjection(maxEventSkewMs: number): Projection<TransactionEvent, TransactionRecord[]> {
  return {
    name: TRANSACTIONS_SINK,
    topic: "transactions" satisfies DataTopicName,
    message: TransactionEventSchema,
    emptyBatch: () => [],
    add(batch, decoded) {
      const facts = readTransactionEvent(decoded, maxEventSkewMs);
      batch.push({ ...facts, partition: decoded.record.partition, offset: decoded.record.offset });
    },
  };
}

type InstanceState = "open" | "completed" | "stopped_late" | "superseded";

/** One Start instance: a row of `transactions`. */
export interface InstanceRow {
  readonly key: string;
  readonly deadlineMs: number;
  /** Null for rows already in the table. */
  readonly start: (TransactionRecord & { kind: "start" }) | null;
  state: InstanceState;
  stoppedAtMs: number | null;
  duplicates: number;
  changed: boolean;
}

/** The state an open instance moves to, by pairing outcome; the other outcomes leave it open. */
const CLOSING: Partial<Record<StartStopOutcome, InstanceState>> = {
  superseded: "superseded",
  cancelled: "completed",
  stopped_after_deadline: "stopped_late",
};

/**
 * Folds Starts and Stops (in log order) into instance rows with the timer's pairing rule:
 * `open` holds the open instance of each id involved (and is updated); the result is every
 * instance touched (new ones with their Start) and the Stops that found nothing open.
 */
export function foldTransactionEvents(
  open: Map<string, InstanceRow>,
  events: readonly TransactionRecord[],
): { touched: InstanceRow[]; strays: TransactionRecord[] } {
  const touched: InstanceRow[] = [...open.values()];
  const strays: TransactionRecord[] = [];
  for (const e of events) {
    const current = open.get(e.transactionId);
    const outcome = pairStartStop(current, e);
    const closing = CLOSING[outcome];
    if (outcome === "stop_not_pending") {
      strays.push(e);
    } else if (current !== undefined && outcome === "duplicate_start") {
      current.duplicates += 1;
      current.changed = true;
    } else if (current !== undefined && closing !== undefined) {
      current.state = closing;
      current.changed = true;
      if (e.kind === "stop") current.stoppedAtMs = e.eventTimeMs;
      open.delete(e.transactionId);
    }
    if (e.kind === "start" && (outcome === "started" || outcome === "superseded")) {
      const row: InstanceRow = {
        key: idempotencyKey(e.transactionId, e.eventTimeMs),
        deadlineMs: e.deadlineMs,
        start: e,
        state: "open",
        stoppedAtMs: null,
        duplicates: 0,
        changed: true,
      };
      open.set(e.transactionId, row);
      touched.push(row);
    }
  }
  return { touched, strays };
}

/**
 * Applies Starts and Stops in log order (a transaction id lives on one partition, so its events
 * are in order within the chunks): reads the open instances of the ids involved, folds the events
 * in memory (foldTransactionEvents), then writes new instances, updated ones and stray Stops in
 * three statements, inside the store's transaction with the offsets.
 */
export async function applyTransactionEvents(
  client: PoolClient,
  chunks: readonly PartitionChunk<TransactionRecord[]>[],
): Promise<void> {
  const events = chunks.flatMap((c) => c.batch);
  if (events.length === 0) return;
  const ids = [...new Set(events.map((e) => e.transactionId))];
  const open = new Map<string, InstanceRow>();
  const rows = await client.query<{ idempotency_key: string; transaction_id: string; deadline_ms: string }>(
    "SELECT idempotency_key, transaction_id, deadline_ms FROM transactions WHERE transaction_id = ANY($1::text[]) AND state = 'open'",
    [ids],
  );
  for (const r of rows.rows) {
    open.set(r.transaction_id, {
      key: r.idempotency_key,
      deadlineMs: Number(r.deadline_ms),
      start: null,
      state: "open",
      stoppedAtMs: null,
      duplicates: 0,
      changed: false,
    });
  }
  const { touched, strays } = foldTransactionEvents(open, events);
  const inserts = touched.filter((r) => r.start !== null);
  const updates = touched.filter((r) => r.start === null && r.changed);
  if (inserts.length > 0) {
    const starts = inserts.map((r) => r.start as TransactionRecord & { kind: "start" });
    await client.query(
      `INSERT INTO transactions (idempotency_key, transaction_id, client_id, transaction_type, callback_target,
         payload_json, payload_bytes, timeout_seconds, started_at_ms, deadline_ms, stopped_at_ms, state,
         duplicate_starts, source_partition, source_offset)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[],
         $8::int[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::int[], $14::int[], $15::bigint[])
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        inserts.map((r) => r.key),
        starts.map((s) => s.transactionId),
        starts.map((s) => s.started.clientId),
        starts.map((s) => s.started.transactionType),
        starts.map((s) => s.started.callbackTarget),
        starts.map((s) => (s.started.payload.case === "payloadJson" ? s.started.payload.value : null)),
        starts.map((s) => (s.started.payload.case === "payloadBytes" ? Buffer.from(s.started.payload.value) : null)),
        starts.map((s) => s.started.timeoutSeconds),
        starts.map((s) => s.eventTimeMs),
        starts.map((s) => s.deadlineMs),
        inserts.map((r) => r.stoppedAtMs),
        inserts.map((r) => r.state),
        inserts.map((r) => r.duplicates),
        starts.map((s) => s.partition),
        starts.map((s) => s.offset),
      ],
    );
  }
  if (updates.length > 0) {
    await client.query(
      `UPDATE transactions t SET state = x.state, stopped_at_ms = coalesce(x.stopped, t.stopped_at_ms),
         duplicate_starts = t.duplicate_starts + x.dups, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) AS x(k, state, stopped, dups)
       WHERE t.idempotency_key = x.k`,
      [
        updates.map((r) => r.key),
        updates.map((r) => r.state),
        updates.map((r) => r.stoppedAtMs),
        updates.map((r) => r.duplicates),
      ],
    );
  }
  if (strays.length > 0) {
    await client.query(
      `INSERT INTO transaction_stray_stops (source_partition, source_offset, transaction_id, stopped_at_ms)
       SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING`,
      [
        strays.map((s) => s.partition),
        strays.map((s) => s.offset),
        strays.map((s) => s.transactionId),
        strays.map((s) => s.eventTimeMs),
      ],
    );
  }
}
