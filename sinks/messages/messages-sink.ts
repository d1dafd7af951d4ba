import { toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { PoolClient } from "pg";
import {
  type CloudEvent,
  CloudEventSchema,
  type MessageCommand,
  MessageCommandSchema,
} from "../../gen/messages/v1/cloud_event_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import type { Projection } from "../../runtime/processor/projection.js";

export const MESSAGES_SINK = "messages-sink";
/** Tables the projection owns alone (replay swaps them as a whole). */
export const MESSAGES_TABLES = ["messages", "messages_cleans"] as const;

export interface MessageRow {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly timeMs: number | null;
  readonly putAtMs: number;
  readonly partition: number;
  readonly event: Uint8Array;
}

/** One command of a partition, in log order. */
export type MessageOp =
  | { readonly kind: "put"; readonly row: MessageRow }
  | { readonly kind: "delete"; readonly id: string }
  | { readonly kind: "clean"; readonly cleanId: string; readonly cutoffMs: number; readonly partition: number };

/** The CloudEvent `time` attribute in ms, or null when the event has none. */
export function eventTimeMs(event: CloudEvent): number | null {
  const attr = event.attributes.time?.attr;
  return attr?.case === "ceTimestamp" ? timestampMs(attr.value) : null;
}

function toOp(command: MessageCommand, partition: number): MessageOp {
  const c = command.command;
  switch (c.case) {
    case "put": {
      const event = c.value;
      if (event.id === "") throw new TributaryError("invalid_argument", "put has no event id", { field: "put.id" });
      return {
        kind: "put",
        row: {
          id: event.id,
          source: event.source,
          type: event.type,
          timeMs: eventTimeMs(event),
          putAtMs: Number(command.commandTimeMs),
          partition,
          event: toBinary(CloudEventSchema, event),
        },
      };
    }
    case "deleteId":
      if (c.value === "") throw new TributaryError("invalid_argument", "delete has no id", { field: "delete_id" });
      return { kind: "delete", id: c.value };
    case "clean":
      return { kind: "clean", cleanId: c.value.cleanId, cutoffMs: Number(c.value.cutoffMs), partition };
    default:
      throw new TributaryError("invalid_argument", "MessageCommand has no command", { field: "command" });
  }
}

export const messagesSinkProjection: Projection<MessageCommand, MessageOp[]> = {
  name: MESSAGES_SINK,
  topic: "messages",
  message: MessageCommandSchema,
  emptyBatch: () => [],
  add(batch, { message, record }) {
    batch.push(toOp(message, record.partition));
  },
};

/**
 * Applies each partition's commands in log order (inside the store's transaction). Consecutive
 * puts, and consecutive deletes, go as one statement each; a clean is a boundary, so what it
 * removes depends only on the partition's log, never on timing: replay gives the same table.
 */
export async function applyMessageOps(
  client: PoolClient,
  chunks: readonly PartitionChunk<MessageOp[]>[],
): Promise<void> {
  for (const chunk of chunks) {
    let run: MessageOp[] = [];
    for (const op of chunk.batch) {
      if (run.length > 0 && (run[0]?.kind !== op.kind || op.kind === "clean")) {
        await applyRun(client, run);
        run = [];
      }
      run.push(op);
    }
    if (run.length > 0) await applyRun(client, run);
  }
}

async function applyRun(client: PoolClient, run: readonly MessageOp[]): Promise<void> {
  const first = run[0];
  if (first?.kind === "put")
    await upsert(
      client,
      run.flatMap((op) => (op.kind === "put" ? [op.row] : [])),
    );
  else if (first?.kind === "delete")
    await client.query("DELETE FROM messages WHERE id = ANY($1::text[])", [
      run.flatMap((op) => (op.kind === "delete" ? [op.id] : [])),
    ]);
  else if (first?.kind === "clean") await clean(client, first);
}

async function upsert(client: PoolClient, puts: readonly MessageRow[]): Promise<void> {
  // One statement cannot touch a row twice: a re-put of an id within the run keeps the last.
  const rows = [...new Map(puts.map((r) => [r.id, r])).values()];
  await client.query(
    `INSERT INTO messages (id, source, type, time, put_at, aged_at, kafka_partition, event)
     SELECT id, source, type, to_timestamp(t / 1000.0), to_timestamp(p / 1000.0),
            to_timestamp(coalesce(t, p) / 1000.0), part, ev
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[], $7::bytea[])
       AS x(id, source, type, t, p, part, ev)
     ON CONFLICT (id) DO UPDATE SET source = EXCLUDED.source, type = EXCLUDED.type, time = EXCLUDED.time,
       put_at = EXCLUDED.put_at, aged_at = EXCLUDED.aged_at, kafka_partition = EXCLUDED.kafka_partition,
       event = EXCLUDED.event`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.source),
      rows.map((r) => r.type),
      rows.map((r) => r.timeMs),
      rows.map((r) => r.putAtMs),
      rows.map((r) => r.partition),
      rows.map((r) => Buffer.from(r.event)),
    ],
  );
}

/** Clean counts older than this are pruned by later cleans (Clean reads its count right away). */
const CLEAN_RECORD_KEEP_MS = 86_400_000;

async function clean(client: PoolClient, op: Extract<MessageOp, { kind: "clean" }>): Promise<void> {
  await client.query(
    `WITH removed AS (
       DELETE FROM messages WHERE kafka_partition = $1::int AND aged_at < to_timestamp($2::bigint / 1000.0)
       RETURNING 1
     )
     INSERT INTO messages_cleans (clean_id, kafka_partition, cutoff, removed)
     SELECT $3::text, $1::int, to_timestamp($2::bigint / 1000.0), count(*) FROM removed
     ON CONFLICT (clean_id, kafka_partition) DO NOTHING`,
    [op.partition, op.cutoffMs, op.cleanId],
  );
  await client.query(
    "DELETE FROM messages_cleans WHERE kafka_partition = $1::int AND cutoff < to_timestamp($2::bigint / 1000.0)",
    [op.partition, op.cutoffMs - CLEAN_RECORD_KEEP_MS],
  );
}
