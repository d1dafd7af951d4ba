import type { Pool, PoolClient } from "pg";
import type { OffsetConflict, OffsetSafeStore, PartitionChunk } from "../processor/offset-safe-store.js";

/**
 * Offset-safe store in Postgres: the projection's rows and the consumer's offsets are written in
 * one SQL transaction. A per-consumer advisory lock serializes commits of competing instances;
 * the offsets are compared before anything is written.
 */
export class PgStateStore<B> implements OffsetSafeStore<B> {
  readonly #pool: Pool;
  readonly #consumer: string;
  readonly #apply: (client: PoolClient, chunks: readonly PartitionChunk<B>[]) => Promise<void>;

  constructor(
    pool: Pool,
    consumer: string,
    apply: (client: PoolClient, chunks: readonly PartitionChunk<B>[]) => Promise<void>,
  ) {
    this.#pool = pool;
    this.#consumer = consumer;
    this.#apply = apply;
  }

  async readNext(topic: string, partition: number): Promise<number | null> {
    const result = await this.#pool.query<{ next_offset: string }>(
      "SELECT next_offset FROM tributary_offsets WHERE consumer = $1 AND topic = $2 AND partition = $3",
      [this.#consumer, topic, partition],
    );
    const row = result.rows[0];
    return row === undefined ? null : Number(row.next_offset);
  }

  async readPositions(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const positions = new Map<number, number>();
    if (partitions.length === 0) return positions;
    const result = await this.#pool.query<{ partition: number; next_offset: string }>(
      "SELECT partition, next_offset FROM tributary_offsets WHERE consumer = $1 AND topic = $2 AND partition = ANY($3::int[])",
      [this.#consumer, topic, [...partitions]],
    );
    for (const row of result.rows) positions.set(row.partition, Number(row.next_offset));
    return positions;
  }

  async commit(chunks: readonly PartitionChunk<B>[]): Promise<OffsetConflict[]> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [this.#consumer]);
      const stored = await client.query<{ topic: string; partition: number; next_offset: string }>(
        "SELECT topic, partition, next_offset FROM tributary_offsets WHERE consumer = $1",
        [this.#consumer],
      );
      const conflicts: OffsetConflict[] = [];
      for (const chunk of chunks) {
        const row = stored.rows.find((r) => r.topic === chunk.topic && r.partition === chunk.partition);
        const storedNext = row === undefined ? null : Number(row.next_offset);
        if (storedNext !== chunk.expectedNext)
          conflicts.push({ topic: chunk.topic, partition: chunk.partition, storedNext });
      }
      if (conflicts.length > 0) {
        await client.query("ROLLBACK");
        return conflicts;
      }
      await this.#apply(client, chunks);
      await client.query(
        `INSERT INTO tributary_offsets (consumer, topic, partition, next_offset)
         SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x(t, p, o)
         ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [this.#consumer, chunks.map((c) => c.topic), chunks.map((c) => c.partition), chunks.map((c) => c.nextOffset)],
      );
      await client.query("COMMIT");
      return [];
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
