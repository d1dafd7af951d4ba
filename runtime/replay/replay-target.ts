import type { Message } from "@bufbuild/protobuf";
import type { Redis } from "ioredis";
import type { OffsetSafeStore } from "../processor/offset-safe-store.js";
import type { Projection } from "../processor/projection.js";

/**
 * What replay needs from a Dragonfly-backed processor: its projection, the keys its state lives
 * in for a given namespace (live: the deployment's STATE_NAMESPACE; replay: a fresh one), and a
 * store writing into a namespace.
 */
export interface ReplayTarget<B> {
  // biome-ignore lint/suspicious/noExplicitAny: projections are generic over their message type
  readonly projection: Projection<any, B>;
  keys(namespace: string): { readonly offsets: string; readonly state: readonly string[] };
  store(redis: Redis, namespace: string): OffsetSafeStore<B>;
}

export type AnyReplayTarget = ReplayTarget<unknown>;
export type { Message };
