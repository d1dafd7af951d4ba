-- Offsets of every Postgres projection and delivery ledger, written in the same transaction as
-- their rows (PgStateStore). Owned by the runtime: every Postgres flow applies this folder first
-- (migrationsDir()), then its own. IF NOT EXISTS: databases created before the per-flow split
-- already have the table (from sinks' old 001_offsets_and_pings.sql).
CREATE TABLE IF NOT EXISTS tributary_offsets (
  consumer    text        NOT NULL,
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);
