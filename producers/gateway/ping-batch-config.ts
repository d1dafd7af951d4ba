import type { EnvReader } from "../../runtime/config/env-reader.js";

export interface PingBatchConfig {
  /**
   * GATEWAY_PING_BATCH_MAX_ITEMS: most pings one PingBatch, PingStream or `POST /pings` may carry.
   * Default 1000: ~170 KB of records, far below the broker's 1 MiB record-batch limit even if
   * every ping landed on one partition; 5000 at most for the same reason.
   */
  readonly maxItems: number;
  /**
   * GATEWAY_PRODUCE_LINGER_MS: how long a write waits for others to share its produce request
   * when none is in flight (Java's linger.ms). Default 1: concurrent single Pings (and the other
   * doors' writes) go out as one request at the cost of ≤ 1 ms; 0 sends at once. Writes that
   * arrive while a request is in flight always share the next one, linger or not.
   */
  readonly produceLingerMs: number;
}

export const PING_BATCH_ENV_VARS = ["GATEWAY_PING_BATCH_MAX_ITEMS", "GATEWAY_PRODUCE_LINGER_MS"] as const;

export function readPingBatchConfig(env: EnvReader): PingBatchConfig {
  return {
    maxItems: env.int("GATEWAY_PING_BATCH_MAX_ITEMS", 1_000, { min: 1, max: 5_000 }),
    produceLingerMs: env.int("GATEWAY_PRODUCE_LINGER_MS", 1, { min: 0, max: 1_000 }),
  };
}
