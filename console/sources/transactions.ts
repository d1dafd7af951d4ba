import type { Pool } from "pg";
import { connectCall } from "../connect-call.js";
import { type Reading, readSafely } from "../reading.js";

export interface PendingOfClient {
  readonly clientId: string;
  /** ListPending's answer: count, the first ids, and whether the timer had caught up. */
  readonly pending: Reading<{ count: number; ids: string[]; caughtUp: boolean }>;
}

export interface CallbackAttempt {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: string;
  readonly error: string | null;
  readonly result: string;
  readonly nextAttemptAt: string | null;
}

export interface TimedOut {
  readonly idempotencyKey: string;
  readonly transactionId: string;
  readonly clientId: string;
  readonly target: string;
  readonly firedAt: string;
  readonly status: string;
  readonly attempts: readonly CallbackAttempt[];
}

export interface TransactionsState {
  readonly pending: Reading<readonly PendingOfClient[]>;
  readonly outcomes: Reading<readonly { outcome: string; count: number }[]>;
  readonly timeouts: Reading<readonly TimedOut[]>;
}

/** Clients shown with ListPending (those with the most open Starts). */
const MAX_CLIENTS = 20;

export async function readTransactions(pool: Pool, gatewayUrl: string): Promise<TransactionsState> {
  const [pending, outcomes, timeouts] = await Promise.all([
    readSafely(async () => {
      const { rows } = await pool.query<{ client_id: string }>(
        `SELECT client_id FROM transactions WHERE state = 'open'
         GROUP BY client_id ORDER BY count(*) DESC, client_id LIMIT ${MAX_CLIENTS}`,
      );
      return Promise.all(
        rows.map(
          async (r): Promise<PendingOfClient> => ({
            clientId: r.client_id,
            pending: await readSafely(async () => {
              // One small page: the count is the answer's total_size, the ids its first five.
              const a = await connectCall<{
                pending?: { transactionId?: string }[];
                caughtUp?: boolean;
                totalSize?: number;
              }>(
                gatewayUrl,
                "transactions.v1.TransactionService/ListPending",
                { clientId: r.client_id, pageSize: 5 },
                3_000,
              );
              const list = a.pending ?? [];
              return {
                count: a.totalSize ?? list.length,
                ids: list.slice(0, 5).map((p) => p.transactionId ?? ""),
                caughtUp: a.caughtUp === true,
              };
            }, 4_000),
          }),
        ),
      );
    }),
    readSafely(async () => {
      const { rows } = await pool.query<{ outcome: string; count: string }>(
        "SELECT outcome, count(*) AS count FROM transaction_outcomes GROUP BY outcome ORDER BY outcome",
      );
      return rows.map((r) => ({ outcome: r.outcome, count: Number(r.count) }));
    }),
    readSafely(async () => {
      const { rows } = await pool.query<{
        idempotency_key: string;
        transaction_id: string;
        client_id: string;
        callback_target: string;
        fired_at_ms: string;
        status: string;
      }>(
        `SELECT idempotency_key, transaction_id, client_id, callback_target, fired_at_ms, status
         FROM transaction_callbacks ORDER BY fired_at_ms DESC LIMIT 20`,
      );
      const attempts = await pool.query<{
        idempotency_key: string;
        attempt: number;
        started_at: Date;
        duration_ms: number;
        status: string;
        error: string | null;
        result: string;
        next_attempt_at: Date | null;
      }>(
        `SELECT idempotency_key, attempt, started_at, duration_ms, status, error, result, next_attempt_at
         FROM transaction_callback_attempts WHERE idempotency_key = ANY($1) ORDER BY attempt`,
        [rows.map((r) => r.idempotency_key)],
      );
      return rows.map((r) => ({
        idempotencyKey: r.idempotency_key,
        transactionId: r.transaction_id,
        clientId: r.client_id,
        target: r.callback_target,
        firedAt: new Date(Number(r.fired_at_ms)).toISOString(),
        status: r.status,
        attempts: attempts.rows
          .filter((a) => a.idempotency_key === r.idempotency_key)
          .map((a) => ({
            attempt: a.attempt,
            startedAt: a.started_at.toISOString(),
            durationMs: a.duration_ms,
            status: a.status,
            error: a.error,
            result: a.result,
            nextAttemptAt: a.next_attempt_at?.toISOString() ?? null,
          })),
      }));
    }),
  ]);
  return { pending, outcomes, timeouts };
}
