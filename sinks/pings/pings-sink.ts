import type { PoolClient } from "pg";
import { type PingRecorded, PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import type { Projection } from "../../runtime/processor/projection.js";

export const PINGS_SINK = "pings-sink";

export interface PingRow {
  readonly id: string;
  readonly pingedAtMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const pingsSinkProjection: Projection<PingRecorded, PingRow[]> = {
  name: PINGS_SINK,
  topic: "pings",
  message: PingRecordedSchema,
  emptyBatch: () => [],
  add(batch, { message }) {
    if (!UUID.test(message.id))
      throw new TributaryError("invalid_argument", `id must be a UUID, got "${message.id}"`, { field: "id" });
    batch.push({ id: message.id, pingedAtMs: Number(message.timestampMs) });
  },
};

/** Inserts all chunks' rows in one statement (inside the store's transaction). */
export async function insertPings(client: PoolClient, chunks: readonly PartitionChunk<PingRow[]>[]): Promise<void> {
  const rows = chunks.flatMap((c) => c.batch);
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO pings (id, pinged_at)
     SELECT id, to_timestamp(ms / 1000.0) FROM unnest($1::uuid[], $2::bigint[]) AS x(id, ms)
     ON CONFLICT (id) DO NOTHING`,
    [rows.map((r) => r.id), rows.map((r) => r.pingedAtMs)],
  );
}
