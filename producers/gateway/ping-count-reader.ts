import type { Redis } from "ioredis";
import type { Pool } from "pg";
import {
  minuteField,
  minuteOf,
  pingCountersKey,
  TOTAL_FIELD,
} from "../../processors/ping-counter/index.js";
import { errorMessage } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/observability/logger.js";

export interface PingCounts {
  readonly total: number;
  readonly minutes: { minute: number; count: number }[];
  readonly source: "dragonfly" | "postgres";
}

/** Reads counts from Dragonfly; when it cannot answer, recounts from the Postgres projection. */
export class PingCountReader {
  constructor(
    private readonly redis: Redis,
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly namespace: string,
  ) {}

  async read(range: { fromMs: number; toMs: number } | null): Promise<PingCounts> {
    try {
      return await this.#fromDragonfly(range);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "dragonfly unavailable, counting in postgres");
      return this.#fromPostgres(range);
    }
  }

  async #fromDragonfly(range: { fromMs: number; toMs: number } | null): Promise<PingCounts> {
    const key = pingCountersKey(this.namespace);
    const minuteList = range === null ? [] : minutesIn(range);
    const values = await this.redis.hmget(key, TOTAL_FIELD, ...minuteList.map(minuteField));
    const [total, ...perMinute] = values;
    return {
      total: Number(total ?? 0),
      minutes: minuteList.flatMap((minute, i) => {
        const count = Number(perMinute[i] ?? 0);
        return count > 0 ? [{ minute, count }] : [];
      }),
      source: "dragonfly",
    };
  }

  async #fromPostgres(range: { fromMs: number; toMs: number } | null): Promise<PingCounts> {
    const total = await this.pool.query<{ n: string }>("SELECT count(*) AS n FROM pings");
    let minutes: { minute: number; count: number }[] = [];
    if (range !== null) {
      const rows = await this.pool.query<{ minute_ms: string; n: string }>(
        `SELECT (extract(epoch FROM date_trunc('minute', pinged_at)) * 1000)::bigint AS minute_ms, count(*) AS n
         FROM pings WHERE pinged_at >= to_timestamp($1 / 1000.0) AND pinged_at < to_timestamp($2 / 1000.0)
         GROUP BY 1 ORDER BY 1`,
        [range.fromMs, range.toMs],
      );
      minutes = rows.rows.map((r) => ({ minute: minuteOf(Number(r.minute_ms)), count: Number(r.n) }));
    }
    return { total: Number(total.rows[0]?.n ?? 0), minutes, source: "postgres" };
  }
}

function minutesIn(range: { fromMs: number; toMs: number }): number[] {
  const first = minuteOf(range.fromMs);
  const last = minuteOf(range.toMs - 1);
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}
