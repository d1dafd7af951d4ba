import { create } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import {
  type TransactionEvent,
  TransactionEventSchema,
  type TransactionTimedOut,
  TransactionTimedOutSchema,
} from "../../gen/transactions/v1/transaction_event_pb.js";
import type { DataTopicName } from "../../runtime/catalog/catalog.js";
import type { Logger } from "../../runtime/observability/logger.js";
import { counter } from "../../runtime/observability/metrics.js";
import type { TimerLogic } from "../../runtime/processor/timer-logic.js";
import { decodePending, encodePending, pendingDeadlineMs } from "./pending-value-codec.js";
import { pairStartStop, type StartStopOutcome } from "./start-stop-pairing.js";
import { readTransactionEvent } from "./transaction-event-rules.js";
import {
  idempotencyKey,
  type PendingTransaction,
  TRANSACTION_TIMER,
  type TransactionTimerKeys,
} from "./transaction-timer-keys.js";

/**
 * Timers for Starts without a Stop, per transaction id, in event time. The pairing rule is
 * `pairStartStop` (start-stop-pairing.ts, shared with the transactions sink): a new instance
 * starts a timer at event time + timeout, a Stop in time cancels it, a superseding Start or a
 * late Stop fires it now, and a Stop for nothing pending is counted and logged, not an error.
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
    topic: "transactions" satisfies DataTopicName,
    message: TransactionEventSchema,
    outputTopic: "transactions.timeouts" satisfies DataTopicName,
    outputMessage: TransactionTimedOutSchema,
    eventTimeOf: (decoded) => readTransactionEvent(decoded, maxEventSkewMs).eventTimeMs,
    apply(decoded, eventTimeMs, timers) {
      const facts = readTransactionEvent(decoded, maxEventSkewMs);
      const outcome = pairStartStop(timers.get(facts.transactionId), { kind: facts.kind, eventTimeMs });
      note(outcome);
      if (outcome === "superseded" || outcome === "stopped_after_deadline") timers.fire(facts.transactionId);
      else if (outcome === "cancelled") timers.cancel(facts.transactionId);
      else if (outcome === "stop_not_pending") {
        log.debug({ transactionId: facts.transactionId }, "stop for a transaction that is not pending");
      }
      if (facts.kind === "start" && (outcome === "started" || outcome === "superseded")) {
        timers.set(
          facts.transactionId,
          {
            started: facts.started,
            startedAtMs: eventTimeMs,
            deadlineMs: facts.deadlineMs,
            ...traceOf(decoded.record.headers.traceparent),
          },
          facts.deadlineMs,
        );
        // A superseding Start counts twice, as before: the old instance superseded, a new one started.
        if (outcome === "superseded") note("started");
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
        headers: traceOf(entry.value.traceparent),
      };
    },
    encodeValue: encodePending,
    decodeValue: decodePending,
    deadlineOf: pendingDeadlineMs,
    firedIdOf: (entry) => idempotencyKey(entry.key, entry.value.startedAtMs),
    firedIdOfOutput: (message) => (message as TransactionTimedOut).idempotencyKey,
    indexOps(entry, change, partition) {
      const key = keys.client(entry.value.started.clientId, entry.key);
      return change === "put"
        ? [{ op: "hset", key, field: entry.key, value: String(partition) }]
        : [{ op: "hdel", key, field: entry.key }];
    },
    legacyIndexKeys: (entry) => [keys.legacyClient(entry.value.started.clientId)],
  };
}

/** The Start's `traceparent`, as an optional field (omitted when the Start carried none). */
function traceOf(traceparent: string | undefined): { traceparent?: string } {
  return traceparent === undefined ? {} : { traceparent };
}
