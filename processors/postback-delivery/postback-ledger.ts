import type { Pool, PoolClient } from "pg";
import type { PostbackDelivery } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import type { DeliveryChanges, DeliveryLedger, DeliveryProgress } from "../../runtime/processor/delivery.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";

type Changes = DeliveryChanges<PostbackDelivery>;

/** Postgres text cannot hold NUL; a partner's binary answer must not make a commit fail forever. */
const clean = (text: string | null): string | null => (text === null ? null : text.replaceAll("\u0000", ""));

/**
 * The delivery log in Postgres, written in the same SQL transaction as the offsets: a delivery
 * row when a record is taken in, one row per finished attempt (insert-if-absent on delivery id +
 * attempt: a record processed again after a crash cannot log an attempt twice), and the final
 * state. `progress` reads retry progress back after a restart so a delivery continues at its
 * next attempt at the time the log says, instead of starting its schedule over.
 */
export function postbackLedger(pool: Pool, consumer: string): DeliveryLedger<PostbackDelivery> {
  return {
    async finished(keys) {
      const result = await pool.query<{ delivery_id: string }>(
        `SELECT delivery_id FROM postback_deliveries
         WHERE delivery_id = ANY($1::text[]) AND status IN ('delivered', 'failed')`,
        [keys],
      );
      return new Set(result.rows.map((r) => r.delivery_id));
    },
    async progress(keys) {
      const result = await pool.query<{ delivery_id: string; attempts: number; next_ms: string | null }>(
        `SELECT delivery_id, attempts, (extract(epoch FROM next_attempt_at) * 1000)::bigint AS next_ms
         FROM postback_deliveries
         WHERE delivery_id = ANY($1::text[]) AND status = 'delivering' AND attempts > 0`,
        [keys],
      );
      const progress = new Map<string, DeliveryProgress>();
      for (const row of result.rows) {
        progress.set(row.delivery_id, { attempts: row.attempts, nextAttemptAtMs: Number(row.next_ms ?? 0) });
      }
      return progress;
    },
    store: new PgStateStore<Changes>(pool, consumer, writeChanges),
  };
}

async function writeChanges(client: PoolClient, chunks: readonly PartitionChunk<Changes>[]): Promise<void> {
  const started = chunks.flatMap((c) => c.batch.started);
  if (started.length > 0) {
    const m = started.map((d) => d.record.message);
    await client.query(
      `INSERT INTO postback_deliveries
         (delivery_id, request_id, method, url, requested_at, status, source_partition, source_offset)
       SELECT k, r, me, u, to_timestamp(t / 1000.0), 'delivering', p, o
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $7::bigint[])
         AS x(k, r, me, u, t, p, o)
       ON CONFLICT (delivery_id) DO NOTHING`,
      [
        started.map((d) => d.key),
        m.map((x) => x.requestId),
        m.map((x) => x.method),
        m.map((x) => x.url),
        m.map((x) => String(x.requestedAtMs)),
        started.map((d) => d.partition),
        started.map((d) => d.offset),
      ],
    );
  }
  const attempts = chunks.flatMap((c) => c.batch.attempts);
  if (attempts.length > 0) {
    await client.query(
      `INSERT INTO postback_attempts
         (delivery_id, attempt, request_id, started_at, duration_ms, status, error, response_excerpt,
          next_attempt_at, result)
       SELECT x.k, x.n, d.request_id, to_timestamp(x.s / 1000.0), x.ms, x.st, x.e, x.ex,
              to_timestamp(x.nx / 1000.0), x.res
       FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[],
                   $8::bigint[], $9::text[]) AS x(k, n, s, ms, st, e, ex, nx, res)
       JOIN postback_deliveries d ON d.delivery_id = x.k
       ON CONFLICT (delivery_id, attempt) DO NOTHING`,
      [
        attempts.map((a) => a.key),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.startedAtMs),
        attempts.map((a) => Math.round(a.durationMs)),
        attempts.map((a) => clean(a.status)),
        attempts.map((a) => clean(a.error)),
        attempts.map((a) => clean(a.responseExcerpt)),
        attempts.map((a) => a.nextAttemptAtMs),
        attempts.map((a) => a.result),
      ],
    );
    // The delivery row carries the latest attempt (what `progress` reads back after a crash).
    await client.query(
      `UPDATE postback_deliveries d SET
         attempts = x.n,
         last_status = x.st,
         last_error = x.e,
         next_attempt_at = to_timestamp(x.nx / 1000.0),
         first_attempt_at = coalesce(d.first_attempt_at, to_timestamp(x.s / 1000.0)),
         last_attempt_at = to_timestamp(x.s / 1000.0),
         updated_at = now()
       FROM (
         SELECT DISTINCT ON (k) k, n, s, st, e, nx
         FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::bigint[]) AS u(k, n, s, st, e, nx)
         ORDER BY k, n DESC
       ) x
       WHERE d.delivery_id = x.k AND d.attempts < x.n`,
      [
        attempts.map((a) => a.key),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.startedAtMs),
        attempts.map((a) => clean(a.status)),
        attempts.map((a) => clean(a.error)),
        attempts.map((a) => a.nextAttemptAtMs),
      ],
    );
  }
  const finished = chunks.flatMap((c) => c.batch.finished);
  if (finished.length > 0) {
    await client.query(
      `UPDATE postback_deliveries d SET
         status = x.status,
         next_attempt_at = NULL,
         finished_at = to_timestamp(x.f / 1000.0),
         updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(k, status, f)
       WHERE d.delivery_id = x.k AND d.status = 'delivering'`,
      [finished.map((d) => d.key), finished.map((d) => d.status), finished.map((d) => d.finishedAtMs)],
    );
  }
}
