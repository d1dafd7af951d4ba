-- Projection of the `pings` topic (seed layout). The file keeps its old name because the name is
-- the version recorded in schema_migrations; the offsets table it once created moved to
-- runtime/state/migrations/000_tributary_offsets.sql.
CREATE TABLE IF NOT EXISTS pings (
  id        uuid        PRIMARY KEY,
  pinged_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS pings_pinged_at ON pings (pinged_at);
