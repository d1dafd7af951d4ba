-- Postback deliveries and their attempt log, written by postback-delivery in the same SQL
-- transaction as its consumer offsets (tributary_offsets): a record processed twice never adds
-- a second row for one attempt (primary key delivery_id + attempt).

CREATE TABLE IF NOT EXISTS postback_deliveries (
  delivery_id      text PRIMARY KEY,
  request_id       text NOT NULL,
  method           text NOT NULL,
  url              text NOT NULL,
  requested_at     timestamptz NOT NULL,
  -- delivering | delivered | failed (failed: in postbacks.dlq with the reason)
  status           text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  last_status      text,
  last_error       text,
  next_attempt_at  timestamptz,
  first_attempt_at timestamptz,
  last_attempt_at  timestamptz,
  finished_at      timestamptz,
  source_partition integer NOT NULL,
  source_offset    bigint NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS postback_deliveries_request ON postback_deliveries (request_id);
-- Pending deliveries only: the retry-queue gauges scan this, not the whole history.
CREATE INDEX IF NOT EXISTS postback_deliveries_pending ON postback_deliveries (requested_at)
  WHERE status = 'delivering';

CREATE TABLE IF NOT EXISTS postback_attempts (
  delivery_id      text NOT NULL,
  attempt          integer NOT NULL,
  request_id       text NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  -- "http 503", "timeout", "connection", "blocked", "circuit_open", ...
  status           text NOT NULL,
  error            text,
  -- First POSTBACK_DELIVERY_EXCERPT_BYTES of the response body.
  response_excerpt text,
  -- When the next attempt is due; null after the last one.
  next_attempt_at  timestamptz,
  -- delivered | retry | gave_up
  result           text NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
