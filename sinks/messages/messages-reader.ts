import { fromBinary } from "@bufbuild/protobuf";
import type { Pool } from "pg";
import { type CloudEvent, CloudEventSchema } from "../../gen/messages/v1/cloud_event_pb.js";

/**
 * Reads of the messages projection, for the gateway: the SQL stays with the flow that owns the
 * tables.
 */
export class MessagesReader {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Stored events of `ids`, in the order of `ids` (first occurrence); unknown ids are absent. */
  async events(ids: readonly string[]): Promise<CloudEvent[]> {
    if (ids.length === 0) return [];
    const result = await this.#pool.query<{ id: string; event: Buffer }>(
      "SELECT id, event FROM messages WHERE id = ANY($1::text[])",
      [ids],
    );
    const byId = new Map(result.rows.map((r) => [r.id, r.event]));
    const seen = new Set<string>();
    const events: CloudEvent[] = [];
    for (const id of ids) {
      const bytes = byId.get(id);
      if (bytes === undefined || seen.has(id)) continue;
      seen.add(id);
      events.push(fromBinary(CloudEventSchema, bytes));
    }
    return events;
  }

  /** How many of `ids` are stored (each id counted once). */
  async countStored(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.#pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM messages WHERE id = ANY($1::text[])",
      [[...new Set(ids)]],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  /** Rows a Clean removed, once every one of its `partitions` commands was applied; else null. */
  async cleanedCount(cleanId: string, partitions: number): Promise<number | null> {
    const result = await this.#pool.query<{ parts: string; removed: string | null }>(
      "SELECT count(*) AS parts, sum(removed) AS removed FROM messages_cleans WHERE clean_id = $1",
      [cleanId],
    );
    const row = result.rows[0];
    return row === undefined || Number(row.parts) < partitions ? null : Number(row.removed ?? 0);
  }

  /** Next offsets the projection stored per partition (its `tributary_offsets` rows). */
  async storedOffsets(consumer: string, topic: string): Promise<Map<number, number>> {
    const result = await this.#pool.query<{ partition: number; next_offset: string }>(
      "SELECT partition, next_offset FROM tributary_offsets WHERE consumer = $1 AND topic = $2",
      [consumer, topic],
    );
    return new Map(result.rows.map((r) => [r.partition, Number(r.next_offset)]));
  }
}
