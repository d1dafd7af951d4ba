-- Transactions flow. Each table has exactly one writer, which commits its consumer offsets in the
-- same SQL transaction (PgStateStore); the view joins them for querying.

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

-- One row per timed-out Start, from `transactions.timeouts` (callback-dispatcher): 'delivering'
-- when taken in, then 'delivered' or 'failed' (given up, sent to transactions.timeouts.dlq).
CREATE TABLE IF NOT EXISTS transaction_callbacks (
  idempotency_key  text        PRIMARY KEY,
  transaction_id   text        NOT NULL,
  client_id        text        NOT NULL,
  callback_target  text        NOT NULL,
  started_at_ms    bigint      NOT NULL,
  deadline_ms      bigint      NOT NULL,
  fired_at_ms      bigint      NOT NULL,
  status           text        NOT NULL CHECK (status IN ('delivering', 'delivered', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  last_status      text,
  last_error       text,
  first_attempt_at timestamptz,
  last_attempt_at  timestamptz,
  finished_at      timestamptz,
  source_partition integer     NOT NULL,
  source_offset    bigint      NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS transaction_callbacks_transaction ON transaction_callbacks (transaction_id);
CREATE INDEX IF NOT EXISTS transaction_callbacks_status ON transaction_callbacks (status, client_id);

-- Every outcome in one place: completed (stopped in time), timed_out (callback pending),
-- callback_delivered, callback_failed, or pending.
CREATE OR REPLACE VIEW transaction_outcomes AS
SELECT
  coalesce(t.idempotency_key, c.idempotency_key) AS idempotency_key,
  coalesce(t.transaction_id, c.transaction_id) AS transaction_id,
  coalesce(t.client_id, c.client_id) AS client_id,
  t.transaction_type,
  coalesce(t.callback_target, c.callback_target) AS callback_target,
  to_timestamp(coalesce(t.started_at_ms, c.started_at_ms) / 1000.0) AS started_at,
  to_timestamp(coalesce(t.deadline_ms, c.deadline_ms) / 1000.0) AS deadline_at,
  to_timestamp(t.stopped_at_ms / 1000.0) AS stopped_at,
  CASE
    WHEN c.status = 'delivered' THEN 'callback_delivered'
    WHEN c.status = 'failed' THEN 'callback_failed'
    WHEN c.status = 'delivering' THEN 'timed_out'
    WHEN t.state = 'completed' THEN 'completed'
    WHEN t.state IN ('stopped_late', 'superseded') THEN 'timed_out'
    ELSE 'pending'
  END AS outcome,
  coalesce(c.attempts, 0) AS callback_attempts,
  c.last_status AS callback_last_status,
  c.last_error AS callback_last_error,
  c.finished_at AS callback_finished_at,
  coalesce(t.duplicate_starts, 0) AS duplicate_starts
FROM transactions t
FULL OUTER JOIN transaction_callbacks c ON c.idempotency_key = t.idempotency_key;
