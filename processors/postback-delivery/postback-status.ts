import type { Pool } from "pg";

export interface PostbackAttemptRow {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: string;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly nextAttemptAt: string | null;
  readonly result: string;
}

export interface PostbackDeliveryStatus {
  readonly deliveryId: string;
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly status: string;
  readonly attempts: PostbackAttemptRow[];
}

/**
 * The delivery log of a request id or a delivery id (what `tributary postback status` prints):
 * each delivery with every attempt (time, duration, response status or error class, excerpt).
 * At most `limit` deliveries: a 10,000-object request is summarized by its first ones.
 */
export async function readPostbackStatus(pool: Pool, id: string, limit = 100): Promise<PostbackDeliveryStatus[]> {
  const deliveries = await pool.query<{
    delivery_id: string;
    request_id: string;
    method: string;
    url: string;
    status: string;
  }>(
    `SELECT delivery_id, request_id, method, url, status FROM postback_deliveries
     WHERE delivery_id = $1 OR request_id = $1 OR delivery_id LIKE $1 || '~%'
     ORDER BY source_partition, source_offset LIMIT $2`,
    [id, limit],
  );
  const ids = deliveries.rows.map((d) => d.delivery_id);
  const attempts = await pool.query<{
    delivery_id: string;
    attempt: number;
    started_at: Date;
    duration_ms: number;
    status: string;
    error: string | null;
    response_excerpt: string | null;
    next_attempt_at: Date | null;
    result: string;
  }>(`SELECT * FROM postback_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt`, [ids]);
  return deliveries.rows.map((d) => ({
    deliveryId: d.delivery_id,
    requestId: d.request_id,
    method: d.method,
    url: d.url,
    status: d.status,
    attempts: attempts.rows
      .filter((a) => a.delivery_id === d.delivery_id)
      .map((a) => ({
        attempt: a.attempt,
        startedAt: a.started_at.toISOString(),
        durationMs: a.duration_ms,
        status: a.status,
        error: a.error,
        responseExcerpt: a.response_excerpt,
        nextAttemptAt: a.next_attempt_at?.toISOString() ?? null,
        result: a.result,
      })),
  }));
}

/** Counts of a request's deliveries by state. */
export async function countPostbackStates(pool: Pool, id: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM postback_deliveries
     WHERE delivery_id = $1 OR request_id = $1 OR delivery_id LIKE $1 || '~%' GROUP BY status`,
    [id],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
