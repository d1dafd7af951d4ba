-- The read side of the transactions flow: the sink's instances joined with the dispatcher's
-- callback ledger. transactions-sink applies the dispatcher's migrations (its contract's
-- callbackLedgerMigrationsDir) before its own, so transaction_callbacks exists here.
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
