import type { PoolClient } from "pg";
import type { Logger } from "../observability/logger.js";
import type { PartitionChunk } from "../processor/offset-safe-store.js";
import type { Projection } from "../processor/projection.js";
import { migrate } from "../state/migrations.js";
import { migrationsDir, openPool } from "../state/pg-pool.js";
import { PgStateStore } from "../state/pg-state-store.js";
import type { ReplayTarget } from "./replay-target.js";

export interface PgReplayOptions<B> {
  // biome-ignore lint/suspicious/noExplicitAny: projections are generic over their message type
  readonly projection: Projection<any, B>;
  readonly databaseUrl: string;
  /** The flow's own migrations folder (the runtime's offsets table is applied before it). */
  readonly migrationsDir: string;
  /** Offsets owner in `tributary_offsets` (the sink's consumer group). */
  readonly consumer: string;
  /** Tables the projection owns alone, replaced as a whole by the switch. */
  readonly tables: readonly string[];
  /** Writes chunks with unqualified table names (resolved through the search_path). */
  apply(client: PoolClient, chunks: readonly PartitionChunk<B>[]): Promise<void>;
  readonly log: Logger;
}

/**
 * Rebuilds a Postgres projection into a fresh schema `replay_<id>` (same migrations, reached
 * through the connection's search_path), then, in one transaction holding the consumer's
 * advisory lock (which the live sink's commits take too), replaces the live rows and offsets by
 * the rebuilt ones. The live sink's next commit sees the changed offsets and re-seeks.
 */
export function pgReplayTarget<B>(options: PgReplayOptions<B>): ReplayTarget<B> {
  return {
    projection: options.projection,
    open: async (replayId) => {
      const schema = `replay_${replayId.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}`;
      const live = openPool(options.databaseUrl, 2);
      await live.query(`CREATE SCHEMA "${schema}"`);
      const rebuilt = openPoolWithSearchPath(options.databaseUrl, schema);
      // The runtime's offsets table first (the switch copies the rebuilt offsets), then the flow's tables.
      await migrate(rebuilt, migrationsDir(), options.log);
      await migrate(rebuilt, options.migrationsDir, options.log);
      const drop = async () => {
        await rebuilt.end();
        await live.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await live.end();
      };
      return {
        store: new PgStateStore(rebuilt, options.consumer, options.apply),
        switchOver: async () => {
          const client = await live.connect();
          try {
            await client.query("BEGIN");
            await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [options.consumer]);
            for (const table of options.tables) {
              await client.query(`DELETE FROM ${table}`);
              await client.query(`INSERT INTO ${table} SELECT * FROM "${schema}".${table}`);
            }
            await client.query("DELETE FROM tributary_offsets WHERE consumer = $1", [options.consumer]);
            await client.query(
              `INSERT INTO tributary_offsets SELECT * FROM "${schema}".tributary_offsets WHERE consumer = $1`,
              [options.consumer],
            );
            await client.query("COMMIT");
          } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw err;
          } finally {
            client.release();
          }
          await drop();
        },
        discard: drop,
      };
    },
  };
}

function openPoolWithSearchPath(url: string, schema: string) {
  const parsed = new URL(url);
  parsed.searchParams.set("options", `-c search_path=${schema}`);
  return openPool(parsed.toString(), 4);
}
