-- One row per attempt of a callback, written in the same transaction as the dispatcher's offsets.
-- A delivery taken in again after a crash reads its last row back and continues its schedule at
-- next_attempt_at instead of starting over (the retry progress survives kill -9).
CREATE TABLE IF NOT EXISTS transaction_callback_attempts (
  idempotency_key  text        NOT NULL,
  attempt          integer     NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer     NOT NULL,
  status           text        NOT NULL,
  error            text,
  next_attempt_at  timestamptz,
  result           text        NOT NULL CHECK (result IN ('delivered', 'retry', 'gave_up')),
  source_partition integer     NOT NULL,
  source_offset    bigint      NOT NULL,
  PRIMARY KEY (idempotency_key, attempt)
);
