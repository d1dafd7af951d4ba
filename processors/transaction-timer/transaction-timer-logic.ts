import { create } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import {
  type TransactionEvent,
  TransactionEventSchema,
  TransactionTimedOutSchema,
} from "../../gen/transactions/v1/transaction_event_pb.js";
import type { Logger } from "../../runtime/observability/logger.js";
import { counter } from "../../runtime/observability/metrics.js";
import type { TimerLogic } from "../../runtime/processor/timer-logic.js";
import { readTransactionEvent } from "./transaction-event-rules.js";
import {
  decodePending,
  encodePending,
  idempotencyKey,
  type PendingTransaction,
  TRANSACTION_TIMER,
  type TransactionTimerKeys,
} from "./transaction-timer-keys.js";

export type StartStopOutcome =
  | "started"
  | "duplicate_start"
  | "superseded"
  | "cancelled"
  | "stopped_after_deadline"
  | "stop_not_pending";

/**
 * Pairs Starts with Stops, per transaction id, in event time:
 * - Start: starts a timer at event time + timeout. A Start for a pending id is a duplicate and is
 *   ignored, unless its event time is at or past the pending deadline: the pending one then timed
 *   out first (it fires) and the new Start begins a new instance.
 * - Stop: cancels the pending timer when its event time is before the deadline; at or after the
 *   deadline the transaction timed out first, so the timer fires now. A Stop for nothing pending
 *   (unknown, or already timed out) is counted and logged, not an error.
 */
export function transactionTimerLogic(options: {
  keys: TransactionTimerKeys;
  maxEventSkewMs: number;
  log: Logger;
  metrics?: Registry;
}): TimerLogic<TransactionEvent, PendingTransaction> {
  const { keys, maxEventSkewMs, log } = options;
  const outcomes =
    options.metrics &&
    counter(options.metrics, "tributary_transaction_events_total", "Starts and Stops by outcome", ["outcome"]);
  const note = (outcome: StartStopOutcome) => outcomes?.inc({ outcome });
  return {
    name: TRANSACTION_TIMER,
    topic: "transactions",
    message: TransactionEventSchema,
    outputTopic: "transactions.timeouts",
    outputMessage: TransactionTimedOutSchema,
    eventTimeOf: (decoded) => readTransactionEvent(decoded, maxEventSkewMs).eventTimeMs,
    apply(decoded, eventTimeMs, timers) {
      const facts = readTransactionEvent(decoded, maxEventSkewMs);
      const pending = timers.get(facts.transactionId);
      if (facts.kind === "start") {
        if (pending !== undefined) {
          if (eventTimeMs < pending.deadlineMs) {
            note("duplicate_start");
            return;
          }
          timers.fire(facts.transactionId);
          note("superseded");
        }
        timers.set(
          facts.transactionId,
          { started: facts.started, startedAtMs: eventTimeMs, deadlineMs: facts.deadlineMs },
          facts.deadlineMs,
        );
        note("started");
        return;
      }
      if (pending === undefined) {
        log.debug({ transactionId: facts.transactionId }, "stop for a transaction that is not pending");
        note("stop_not_pending");
      } else if (eventTimeMs < pending.deadlineMs) {
        timers.cancel(facts.transactionId);
        note("cancelled");
      } else {
        timers.fire(facts.transactionId);
        note("stopped_after_deadline");
      }
    },
    onFire(entry, firedAtMs) {
      const { started, startedAtMs, deadlineMs } = entry.value;
      return {
        key: entry.key,
        message: create(TransactionTimedOutSchema, {
          idempotencyKey: idempotencyKey(entry.key, startedAtMs),
          started,
          startedAtMs: BigInt(startedAtMs),
          deadlineMs: BigInt(deadlineMs),
          firedAtMs: BigInt(Math.round(firedAtMs)),
        }),
      };
    },
    encodeValue: encodePending,
    decodeValue: decodePending,
    indexOps(entry, change, partition) {
      const key = keys.client(entry.value.started.clientId);
      return change === "put"
        ? [{ op: "hset", key, field: entry.key, value: String(partition) }]
        : [{ op: "hdel", key, field: entry.key }];
    },
  };
}
