import type { Pool } from "pg";
import type { Registry } from "prom-client";
import type { Logger } from "../../runtime/observability/logger.js";
import { gauge } from "../../runtime/observability/metrics.js";

/**
 * Retry-queue gauges from the delivery log (the backlog lives in Kafka and Postgres, not in the
 * heap): pending deliveries, those waiting for a retry, and the age of the oldest pending one.
 * Read on an interval from the partial index of pending rows; returns the stop function.
 */
export function startPendingGauges(pool: Pool, metrics: Registry, intervalMs: number, log: Logger): () => void {
  const pending = gauge(
    metrics,
    "tributary_postback_pending_deliveries",
    "Deliveries not yet finished (committed log)",
  );
  const retrying = gauge(metrics, "tributary_postback_retry_queue_depth", "Pending deliveries waiting for a retry");
  const oldest = gauge(
    metrics,
    "tributary_postback_oldest_pending_age_seconds",
    "Age of the oldest pending delivery (0 when none)",
  );
  let running = false;
  const read = async () => {
    if (running) return;
    running = true;
    try {
      const { rows } = await pool.query<{ pending: string; retrying: string; oldest_s: number | null }>(
        `SELECT count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS retrying,
                extract(epoch FROM now() - min(requested_at))::float8 AS oldest_s
         FROM postback_deliveries WHERE status = 'delivering'`,
      );
      const row = rows[0];
      pending.set(Number(row?.pending ?? 0));
      retrying.set(Number(row?.retrying ?? 0));
      oldest.set(Math.max(0, row?.oldest_s ?? 0));
    } catch (err) {
      log.debug({ err }, "pending gauges not read");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void read(), intervalMs);
  timer.unref();
  void read();
  return () => clearInterval(timer);
}
