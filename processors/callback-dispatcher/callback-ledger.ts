import type { Pool, PoolClient } from "pg";
import type { TransactionTimedOut } from "../../gen/transactions/v1/transaction_event_pb.js";
import type { DeliveryChanges, DeliveryLedger } from "../../runtime/processor/delivery.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";

type Changes = DeliveryChanges<TransactionTimedOut>;

/**
 * Outcomes in Postgres (`transaction_callbacks`, one row per idempotency key, and
 * `transaction_callback_attempts`, one row per attempt, read back as retry progress), written in the same
 * SQL transaction as the dispatcher's offsets: a row appears when a timeout is taken in
 * (delivering) and gets its final status, attempts and last response when it finishes.
 */
export function callbackLedger(pool: Pool, consumer: string): DeliveryLedger<TransactionTimedOut> {
  return {
    async finished(keys) {
      const result = await pool.query<{ idempotency_key: string }>(
        `SELECT idempotency_key FROM transaction_callbacks
         WHERE idempotency_key = ANY($1::text[]) AND status IN ('delivered', 'failed')`,
        [keys],
      );
      return new Set(result.rows.map((r) => r.idempotency_key));
    },
    async progress(keys) {
      // The last logged attempt of each unfinished delivery: where its schedule stands.
      const result = await pool.query<{ idempotency_key: string; attempt: number; next_ms: string }>(
        `SELECT DISTINCT ON (idempotency_key) idempotency_key, attempt,
                (extract(epoch FROM next_attempt_at) * 1000)::bigint AS next_ms
         FROM transaction_callback_attempts
         WHERE idempotency_key = ANY($1::text[]) AND next_attempt_at IS NOT NULL
         ORDER BY idempotency_key, attempt DESC`,
        [keys],
      );
      return new Map(
        result.rows.map((r) => [r.idempotency_key, { attempts: r.attempt, nextAttemptAtMs: Number(r.next_ms) }]),
      );
    },
    store: new PgStateStore<Changes>(pool, consumer, writeOutcomes),
  };
}

async function writeOutcomes(client: PoolClient, chunks: readonly PartitionChunk<Changes>[]): Promise<void> {
  const started = chunks.flatMap((c) => c.batch.started);
  if (started.length > 0) {
    const m = started.map((d) => d.record.message);
    await client.query(
      `INSERT INTO transaction_callbacks
         (idempotency_key, transaction_id, client_id, callback_target, started_at_ms, deadline_ms, fired_at_ms,
          status, source_partition, source_offset)
       SELECT k, t, c, cb, s, d, f, 'delivering', p, o
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
                   $8::int[], $9::bigint[]) AS x(k, t, c, cb, s, d, f, p, o)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        started.map((d) => d.key),
        m.map((x) => x.started?.transactionId ?? ""),
        m.map((x) => x.started?.clientId ?? ""),
        m.map((x) => x.started?.callbackTarget ?? ""),
        m.map((x) => String(x.startedAtMs)),
        m.map((x) => String(x.deadlineMs)),
        m.map((x) => String(x.firedAtMs)),
        started.map((d) => d.partition),
        started.map((d) => d.offset),
      ],
    );
  }
  const attempts = chunks.flatMap((c) => c.batch.attempts);
  if (attempts.length > 0) {
    // ON CONFLICT: a zombie owner may have logged the same attempt number (at least once).
    await client.query(
      `INSERT INTO transaction_callback_attempts
         (idempotency_key, attempt, started_at, duration_ms, status, error, next_attempt_at, result,
          source_partition, source_offset)
       SELECT k, a, to_timestamp(s / 1000.0), d, st, e, to_timestamp(n / 1000.0), r, p, o
       FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::bigint[],
                   $8::text[], $9::int[], $10::bigint[]) AS x(k, a, s, d, st, e, n, r, p, o)
       ON CONFLICT (idempotency_key, attempt) DO NOTHING`,
      [
        attempts.map((a) => a.key),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.startedAtMs),
        attempts.map((a) => Math.round(a.durationMs)),
        attempts.map((a) => a.status),
        attempts.map((a) => a.error),
        attempts.map((a) => a.nextAttemptAtMs),
        attempts.map((a) => a.result),
        attempts.map((a) => a.partition),
        attempts.map((a) => a.offset),
      ],
    );
  }
  const finished = chunks.flatMap((c) => c.batch.finished);
  if (finished.length > 0) {
    await client.query(
      `UPDATE transaction_callbacks c SET
         status = x.status,
         attempts = greatest(c.attempts, x.attempts),
         last_status = x.last_status,
         last_error = x.last_error,
         first_attempt_at = coalesce(c.first_attempt_at, to_timestamp(x.first_ms / 1000.0)),
         last_attempt_at = to_timestamp(x.last_ms / 1000.0),
         finished_at = to_timestamp(x.finished_ms / 1000.0),
         updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[])
         AS x(k, status, attempts, last_status, last_error, first_ms, last_ms, finished_ms)
       WHERE c.idempotency_key = x.k`,
      [
        finished.map((d) => d.key),
        finished.map((d) => d.status),
        finished.map((d) => d.attempts),
        finished.map((d) => d.lastStatus),
        finished.map((d) => d.lastError),
        finished.map((d) => d.firstAttemptAtMs),
        finished.map((d) => d.lastAttemptAtMs),
        finished.map((d) => d.finishedAtMs),
      ],
    );
  }
}
