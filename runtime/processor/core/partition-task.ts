import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { ConsumedRecord, PartitionOffsets } from "../../kafka/kafka-adapter.js";
import type { DecodedRecord } from "../../serde/topic-codec.js";
import type { OffsetSafeStore } from "../offset-safe-store.js";
import type { Clock } from "./ports.js";

/** What the core lets a strategy do besides changing its own partition state. */
export interface TaskContext {
  readonly clock: Clock;
  /** Sends a record to the topic's dead-letter topic (reason in headers); resolves once acked. */
  deadLetter(record: ConsumedRecord, err: unknown): Promise<void>;
  /** Stops fetching a partition (bounded memory); `resume` undoes it. Both are idempotent. */
  pause(partition: number): void;
  resume(partition: number): void;
}

/** The core's view of an open partition, handed to `tick`. */
export interface OpenPartition<S> {
  readonly partition: number;
  readonly state: S;
  /** Next offset to apply: every record before it has been applied to `state`. */
  readonly next: number;
}

/** End offsets read for a tick, and the clock reading taken just before them. */
export interface EndOffsets {
  readonly readAtMs: number;
  readonly ends: readonly PartitionOffsets[];
}

/**
 * A strategy plugged into the partition-task core: the part of a processor that differs
 * between projections, event-time timers and deliveries. The core owns assignment, position
 * loading, fetch gaps, decoding (poison → DLQ), the compare-and-set commit with reload on
 * conflict, commit hints, metrics and shutdown; a strategy owns its per-partition state `S` and
 * what one commit writes, `C`.
 *
 * Every method runs under the core's mutex (never interleaved with another), except where a
 * strategy starts work of its own (deliveries' attempts), which must check that its partition is
 * still the one it started on.
 */
export interface PartitionTask<M extends Message, S, C> {
  /** Processor name: metrics label, DLQ header, log field. */
  readonly name: string;
  /** Message type of the consumed topic's records. */
  readonly message: DescMessage;
  /** Where state and offsets are committed together. */
  readonly store: OffsetSafeStore<C>;
  /**
   * Loads a partition's state and the next offset the store holds for it (null: never
   * committed), consistently: the state must be exactly what those offsets produced.
   */
  open(partition: number): Promise<{ readonly storedNext: number | null; readonly state: S }>;
  /**
   * Applies one record, in offset order. A TributaryError without canRetry (or any other
   * error) sends the record to the DLQ and processing continues; a retryable one fails the batch.
   */
  apply(state: S, record: DecodedRecord<M>, ctx: TaskContext): void | Promise<void>;
  /** After a batch's records were applied; resolves true when a commit should happen now. */
  afterBatch?(state: S, ctx: TaskContext): Promise<boolean>;
  /**
   * Whether every tick needs fresh end offsets (timers' caught-up rule); otherwise they are
   * refreshed for the lag metrics at most every few seconds, since each is an admin call.
   */
  readonly endOffsetsEveryTick?: boolean;
  /** Periodic step with the latest end offsets; resolves true when a commit should happen now. */
  tick?(open: readonly OpenPartition<S>[], ends: EndOffsets, ctx: TaskContext): Promise<boolean>;
  /** Offset to commit: default `next`; deliveries hold it at their oldest unfinished record. */
  commitPosition?(state: S, next: number): number;
  /** The changes since the last commit, handed over (the state forgets them); null when none. */
  take(state: S): C | null;
  /** Changes of a commit that only moves the position. */
  emptyChanges(): C;
  /** Before the store commit of these changes (timers emit their outputs here). */
  beforeCommit?(work: readonly { readonly state: S; readonly changes: C }[]): Promise<void>;
  /** The store holds these changes now. */
  committed(state: S, changes: C): void;
  /**
   * The store commit threw (nothing was written): give the changes back so the next commit
   * carries them. Without it, the core reloads the partition from the store.
   */
  restore?(state: S, changes: C): void;
  /** The partition is closed (revoked, reloaded, shut down): stop any work on it. */
  close?(state: S): void;
  /** Shutdown, before the final commit: stop starting work, let running work end. */
  stop?(): Promise<void>;
}

/** Where a partition the store has never seen starts. */
export type InitialOffset = (partition: number) => Promise<number>;
