import type { Pool } from "pg";

/** Counts from the `pings` projection: the read side other flows use (PingCount's fallback). */
export interface PingTableCounts {
  readonly total: number;
  /** Per event-time minute (milliseconds of the minute's start), only minutes with pings. */
  readonly minutes: readonly { readonly minuteStartMs: number; readonly count: number }[];
}

export async function countPings(pool: Pool, range: { fromMs: number; toMs: number } | null): Promise<PingTableCounts> {
  const total = await pool.query<{ n: string }>("SELECT count(*) AS n FROM pings");
  if (range === null) return { total: Number(total.rows[0]?.n ?? 0), minutes: [] };
  const rows = await pool.query<{ minute_ms: string; n: string }>(
    `SELECT (extract(epoch FROM date_trunc('minute', pinged_at)) * 1000)::bigint AS minute_ms, count(*) AS n
     FROM pings WHERE pinged_at >= to_timestamp($1 / 1000.0) AND pinged_at < to_timestamp($2 / 1000.0)
     GROUP BY 1 ORDER BY 1`,
    [range.fromMs, range.toMs],
  );
  return {
    total: Number(total.rows[0]?.n ?? 0),
    minutes: rows.rows.map((r) => ({ minuteStartMs: Number(r.minute_ms), count: Number(r.n) })),
  };
}
