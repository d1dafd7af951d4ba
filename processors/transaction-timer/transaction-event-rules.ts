import type { TransactionEvent, TransactionStarted } from "../../gen/transactions/v1/transaction_event_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { DecodedRecord } from "../../runtime/serde/topic-codec.js";

/** TRANSACTION_MAX_EVENT_SKEW_MS default: how far an event time may be ahead of its record's timestamp. */
export const DEFAULT_MAX_EVENT_SKEW_MS = 60_000;

export type TransactionFacts =
  | {
      readonly kind: "start";
      readonly transactionId: string;
      readonly eventTimeMs: number;
      readonly started: TransactionStarted;
      readonly deadlineMs: number;
    }
  | { readonly kind: "stop"; readonly transactionId: string; readonly eventTimeMs: number };

/**
 * What every consumer of `transactions` accepts (the gateway checks more at its edge; clients
 * producing straight to the topic meet these). A violation is a TributaryError("invalid_argument")
 * naming the field, and the record goes to the dead-letter topic.
 */
export function readTransactionEvent(
  decoded: DecodedRecord<TransactionEvent>,
  maxEventSkewMs = DEFAULT_MAX_EVENT_SKEW_MS,
): TransactionFacts {
  const { message, record } = decoded;
  const eventTimeMs = Number(message.eventTimeMs);
  if (!Number.isSafeInteger(eventTimeMs) || eventTimeMs <= 0) {
    throw invalid("event_time_ms", `must be > 0 (milliseconds since the Unix epoch), got ${message.eventTimeMs}`);
  }
  // A far-future event time would drag the partition's watermark ahead and fire every timer on
  // it. The record timestamp (set by the producer) is the reference, so the check replays the same.
  if (eventTimeMs > record.timestampMs + maxEventSkewMs) {
    throw invalid(
      "event_time_ms",
      `is ${eventTimeMs - record.timestampMs} ms ahead of the record timestamp (at most ${maxEventSkewMs})`,
    );
  }
  const event = message.event;
  if (event.case === undefined) throw invalid("event", "must be started or stopped");
  const transactionId = event.value.transactionId;
  if (transactionId === "") throw invalid(`${event.case}.transaction_id`, "is required");
  // Starts and Stops stay ordered only when both are keyed by the transaction id.
  if (record.key !== transactionId) {
    throw invalid("key", `must be the transaction id "${transactionId}", got "${record.key ?? ""}"`);
  }
  if (event.case === "stopped") return { kind: "stop", transactionId, eventTimeMs };
  const started = event.value;
  if (started.timeoutSeconds <= 0) {
    throw invalid("started.timeout_seconds", `must be > 0, got ${started.timeoutSeconds}`);
  }
  return {
    kind: "start",
    transactionId,
    eventTimeMs,
    started,
    deadlineMs: eventTimeMs + started.timeoutSeconds * 1000,
  };
}

function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("invalid_argument", `${field} ${detail}`, { field });
}
