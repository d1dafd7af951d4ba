import type { OffsetSafeStore } from "../processor/offset-safe-store.js";
import type { Projection } from "../processor/projection.js";

/**
 * What replay needs from a processor: its projection and a way to open a fresh, empty state
 * namespace next to the live one. Dragonfly processors use a key prefix
 * (`redis-replay-target.ts`), Postgres projections a schema (`pg-replay-target.ts`).
 */
export interface ReplayTarget<B> {
  // biome-ignore lint/suspicious/noExplicitAny: projections are generic over their message type
  readonly projection: Projection<any, B>;
  open(replayId: string): Promise<ReplayState<B>>;
}

export interface ReplayState<B> {
  /** Writes state and offsets into the fresh namespace. */
  readonly store: OffsetSafeStore<B>;
  /** Replaces the live state and offsets by the rebuilt ones in one atomic step, then cleans up. */
  switchOver(): Promise<void>;
  /** Drops the rebuilt namespace (replay cancelled); the live state is untouched. */
  discard(): Promise<void>;
}

export type AnyReplayTarget = ReplayTarget<unknown>;
