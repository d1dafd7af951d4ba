-- Projection of the `messages` topic: the temporary CloudEvents store (seed 002).
CREATE TABLE IF NOT EXISTS messages (
  id              text        PRIMARY KEY,
  source          text        NOT NULL,
  type            text        NOT NULL,
  -- CloudEvent `time` attribute, when the event has one.
  time            timestamptz,
  -- Gateway clock when the put was accepted (MessageCommand.command_time_ms).
  put_at          timestamptz NOT NULL,
  -- What retention measures: coalesce(time, put_at). A plain column (not GENERATED) so replay's
  -- INSERT ... SELECT * can copy rows.
  aged_at         timestamptz NOT NULL,
  -- Kafka partition of the event's records: a Clean command removes its own partition's rows.
  kafka_partition integer     NOT NULL,
  -- The CloudEvent in its Protobuf form, exactly what GetBatch returns.
  event           bytea       NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_partition_aged_at ON messages (kafka_partition, aged_at);

-- Rows removed per Clean command and partition, so Clean can answer with its count.
CREATE TABLE IF NOT EXISTS messages_cleans (
  clean_id        text        NOT NULL,
  kafka_partition integer     NOT NULL,
  cutoff          timestamptz NOT NULL,
  removed         integer     NOT NULL,
  PRIMARY KEY (clean_id, kafka_partition)
);
