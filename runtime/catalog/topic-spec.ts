import type { DescMessage } from "@bufbuild/protobuf";

export type CleanupPolicy = "delete" | "compact";

/** One topic of the catalog: everything topic creation, serde, CLI and manifests need. */
export interface TopicSpec {
  /** Topic name without the deployment's TOPIC_PREFIX. */
  readonly name: string;
  /** Protobuf message type of every value; null for dead-letter topics (original bytes kept). */
  readonly message: DescMessage | null;
  /** What the record key is, in words (keys are readable UTF-8 strings). */
  readonly key: string;
  readonly partitions: number;
  /** retention.ms; -1 keeps records forever. */
  readonly retentionMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** Name of the dead-letter topic for records of this topic that cannot be processed. */
  readonly deadLetter: string | null;
  readonly description: string;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
