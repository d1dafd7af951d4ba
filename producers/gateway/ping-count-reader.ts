import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { Counter, Registry } from "prom-client";
import { minuteField, minuteOf, pingCountersKey, TOTAL_FIELD } from "../../processors/ping-counter/index.js";
import { errorMessage } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/observability/logger.js";
import { counter } from "../../runtime/observability/metrics.js";
import { countPings } from "../../sinks/pings/index.js";

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
    metrics?: Registry,
  ) {
    this.#reads =
      metrics &&
      counter(metrics, "tributary_ping_count_reads_total", "PingCount answers by the store that answered", ["source"]);
  }

  readonly #reads: Counter | undefined;

  async read(range: { fromMs: number; toMs: number } | null): Promise<PingCounts> {
    try {
      const counts = await this.#fromDragonfly(range);
      this.#reads?.inc({ source: "dragonfly" });
      return counts;
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "dragonfly unavailable, counting in postgres");
      const counts = await this.#fromPostgres(range);
      this.#reads?.inc({ source: "postgres" });
      return counts;
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
    const counts = await countPings(this.pool, range);
    return {
      total: counts.total,
      minutes: counts.minutes.map((m) => ({ minute: minuteOf(m.minuteStartMs), count: m.count })),
      source: "postgres",
    };
  }
}

function minutesIn(range: { fromMs: number; toMs: number }): number[] {
  const first = minuteOf(range.fromMs);
  const last = minuteOf(range.toMs - 1);
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}
