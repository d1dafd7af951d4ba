import type { EnvReader } from "../../runtime/config/env-reader.js";
import { MESSAGES_SINK, readRetentionMs, SINK_GROUP_ID_VAR } from "../../sinks/messages/index.js";

export interface MessageServiceConfig {
  /** MESSAGES_MAX_BATCH_EVENTS: most events (or ids) one call may carry. Default 5000. */
  readonly maxBatchEvents: number;
  /** MESSAGES_MAX_EVENT_BYTES: largest event, Protobuf-encoded. Default 65536. */
  readonly maxEventBytes: number;
  /**
   * MESSAGES_MAX_BATCH_BYTES: largest PutBatch, Protobuf-encoded. Default 786432: the broker
   * refuses a record batch over 1 MiB (message.max.bytes) and one call's events may all share a
   * partition.
   */
  readonly maxBatchBytes: number;
  /**
   * MESSAGES_READ_WAIT_MS: how long GetBatch and DeleteBatch wait for the projection to apply the
   * writes they must see before answering `unavailable`. Default 5000; a healthy sink needs ~50 ms.
   */
  readonly readWaitMs: number;
  /** MESSAGES_CLEAN_WAIT_MS: how long Clean waits for every partition to apply it. Default 30000. */
  readonly cleanWaitMs: number;
  /** MESSAGES_RETENTION (Go duration, default 168h): Clean removes events older than this. */
  readonly retentionMs: number;
  /** MESSAGES_SINK_GROUP_ID: the sink whose stored offsets reads wait on. Default messages-sink. */
  readonly sinkConsumer: string;
}

export const MESSAGE_SERVICE_ENV_VARS = [
  "MESSAGES_MAX_BATCH_EVENTS",
  "MESSAGES_MAX_EVENT_BYTES",
  "MESSAGES_MAX_BATCH_BYTES",
  "MESSAGES_READ_WAIT_MS",
  "MESSAGES_CLEAN_WAIT_MS",
  "MESSAGES_RETENTION",
  SINK_GROUP_ID_VAR,
] as const;

export function readMessageServiceConfig(env: EnvReader): MessageServiceConfig {
  return {
    maxBatchEvents: env.int("MESSAGES_MAX_BATCH_EVENTS", 5_000, { min: 1_000, max: 100_000 }),
    maxEventBytes: env.int("MESSAGES_MAX_EVENT_BYTES", 65_536, { min: 256, max: 900_000 }),
    maxBatchBytes: env.int("MESSAGES_MAX_BATCH_BYTES", 786_432, { min: 1_024, max: 64 * 1_048_576 }),
    readWaitMs: env.int("MESSAGES_READ_WAIT_MS", 5_000, { min: 0, max: 120_000 }),
    cleanWaitMs: env.int("MESSAGES_CLEAN_WAIT_MS", 30_000, { min: 100, max: 600_000 }),
    retentionMs: readRetentionMs(env),
    sinkConsumer: env.string(SINK_GROUP_ID_VAR, MESSAGES_SINK),
  };
}
