-- Offsets of every Postgres projection, written in the same transaction as its rows.
CREATE TABLE IF NOT EXISTS tributary_offsets (
  consumer    text        NOT NULL,
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Projection of the `pings` topic (seed layout).
CREATE TABLE IF NOT EXISTS pings (
  id        uuid        PRIMARY KEY,
  pinged_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS pings_pinged_at ON pings (pinged_at);
