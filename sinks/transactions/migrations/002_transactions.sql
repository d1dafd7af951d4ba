-- Tables of the transactions sink. Each table has exactly one writer, which commits its consumer
-- offsets in the same SQL transaction (PgStateStore). The dispatcher's transaction_callbacks (once
-- in this file) is in processors/callback-dispatcher/migrations; the outcomes view joining both is
-- 003_transactions_outcomes_view.sql. The file name is kept: it is the version already recorded.

-- One row per Start instance, from the `transactions` topic (transactions-sink). Pairing follows
-- the timer's event-time rules: a Stop before the deadline completes the open instance, a Stop at
-- or after it is late; a Start while an instance is open is a duplicate unless the open one's
-- deadline has passed by the new Start's event time (then that one is superseded).
CREATE TABLE IF NOT EXISTS transactions (
  idempotency_key  text        PRIMARY KEY, -- <transaction_id>:<start event time, ms>
  transaction_id   text        NOT NULL,
  client_id        text        NOT NULL,
  transaction_type text        NOT NULL,
  callback_target  text        NOT NULL,
  payload_json     text,
  payload_bytes    bytea,
  timeout_seconds  integer     NOT NULL,
  started_at_ms    bigint      NOT NULL,
  deadline_ms      bigint      NOT NULL,
  stopped_at_ms    bigint,
  state            text        NOT NULL CHECK (state IN ('open', 'completed', 'stopped_late', 'superseded')),
  duplicate_starts integer     NOT NULL DEFAULT 0,
  source_partition integer     NOT NULL,
  source_offset    bigint      NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS transactions_open ON transactions (transaction_id) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS transactions_client ON transactions (client_id, started_at_ms);

-- Stops that found no open instance: an unknown id, or a second Stop. Recorded, not an error.
CREATE TABLE IF NOT EXISTS transaction_stray_stops (
  source_partition integer NOT NULL,
  source_offset    bigint  NOT NULL,
  transaction_id   text    NOT NULL,
  stopped_at_ms    bigint  NOT NULL,
  PRIMARY KEY (source_partition, source_offset)
);
