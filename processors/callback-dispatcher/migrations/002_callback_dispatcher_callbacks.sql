-- The callback dispatcher's ledger (until the per-flow split it was part of 002_transactions.sql,
-- hence IF NOT EXISTS: existing databases have it already).
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
