import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { DataTopicName } from "../catalog/catalog.js";
import type { DecodedRecord } from "../serde/topic-codec.js";
import type { OffsetSafeStore } from "./offset-safe-store.js";

/** Result of one attempt. Handlers never throw: every failure is an outcome with a retry decision. */
export type AttemptOutcome =
  | { readonly delivered: true; readonly status: string; readonly responseExcerpt?: string }
  | {
      readonly delivered: false;
      readonly retryable: boolean;
      readonly status: string;
      readonly error: string;
      /** The target asked to wait at least this long (Retry-After): a lower bound of the next delay. */
      readonly retryAfterMs?: number;
      readonly responseExcerpt?: string;
    };

/** The side effect of a delivery processor (an HTTP call, an RPC), free of Kafka and store plumbing. */
export interface DeliveryHandler<M extends Message> {
  /** Processor name: metrics label, DLQ header. */
  readonly name: string;
  /** Logical (catalog) topic consumed. */
  readonly topic: DataTopicName;
  readonly message: DescMessage;
  /** Identity of the effect, the same across retries and re-emissions: the idempotency key. */
  keyOf(record: DecodedRecord<M>): string;
  attempt(record: DecodedRecord<M>, key: string, attempt: number, signal: AbortSignal): Promise<AttemptOutcome>;
}

export type DeliveryStatus = "delivering" | "delivered" | "failed";

export interface Delivery<M extends Message> {
  readonly key: string;
  readonly record: DecodedRecord<M>;
  readonly partition: number;
  readonly offset: number;
  status: DeliveryStatus;
  /** Attempts made so far, including those before a restart (from the ledger's progress). */
  attempts: number;
  firstAttemptAtMs: number | null;
  lastAttemptAtMs: number | null;
  finishedAtMs: number | null;
  lastStatus: string;
  lastError: string | null;
}

/** One finished attempt, logged in the same commit as the offsets (key + attempt is unique). */
export interface DeliveryAttemptRecord {
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
  readonly attempt: number;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly status: string;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  /** When the next attempt is due; null when this one was the last (delivered or given up). */
  readonly nextAttemptAtMs: number | null;
  readonly result: "delivered" | "retry" | "gave_up";
}

/** What one commit writes for a partition: deliveries taken in, attempts made, deliveries finished. */
export interface DeliveryChanges<M extends Message> {
  readonly started: readonly Delivery<M>[];
  readonly attempts: readonly DeliveryAttemptRecord[];
  readonly finished: readonly Delivery<M>[];
}

/** Retry progress of an unfinished delivery, as committed before a restart. */
export interface DeliveryProgress {
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
}

/** Where outcomes and offsets live (Postgres: one SQL transaction per commit). */
export interface DeliveryLedger<M extends Message> {
  /** The keys among `keys` whose delivery already finished (delivered or given up). */
  finished(keys: readonly string[]): Promise<Set<string>>;
  /**
   * Retry progress of unfinished deliveries among `keys`, so a delivery taken in again after a
   * crash continues at its next attempt instead of restarting its schedule. Optional: without it
   * a restarted delivery starts over.
   */
  progress?(keys: readonly string[]): Promise<Map<string, DeliveryProgress>>;
  readonly store: OffsetSafeStore<DeliveryChanges<M>>;
}
