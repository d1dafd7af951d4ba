import type { PoolClient } from "pg";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";

/** One consumed notification, ready for the `notifications` table and the log. */
export interface NotificationRow {
  /** Physical topic name. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** int64 as a decimal string (exact beyond 2^53, as the proto3 JSON mapping writes it). */
  readonly id: string;
  readonly description: string;
  readonly timestamp: string;
  readonly traceId: string | null;
}

/** Inserts all chunks' rows in one statement, inside the store's transaction. */
export async function insertNotifications(
  client: PoolClient,
  chunks: readonly PartitionChunk<NotificationRow[]>[],
): Promise<void> {
  const rows = chunks.flatMap((c) => c.batch);
  if (rows.length === 0) return;
  // ON CONFLICT: the offsets' compare-and-set already keeps rows unique; this only keeps a
  // manual offsets reset from failing every commit.
  await client.query(
    `INSERT INTO notifications (source_topic, source_partition, source_offset, id, description, "timestamp", notified_at, trace_id)
     SELECT s, p, o, i, d, t, t::timestamptz, tr
     FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])
       AS x(s, p, o, i, d, t, tr)
     ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING`,
    [
      rows.map((r) => r.topic),
      rows.map((r) => r.partition),
      rows.map((r) => r.offset),
      rows.map((r) => r.id),
      rows.map((r) => r.description),
      rows.map((r) => r.timestamp),
      rows.map((r) => r.traceId),
    ],
  );
}
