import type { Message } from "@bufbuild/protobuf";
import { lookupTopic } from "../catalog/catalog.js";
import type { Platform } from "../platform.js";
import type { OffsetSafeStore } from "./offset-safe-store.js";
import type { Projection } from "./projection.js";
import { projectionTask } from "./projection-task.js";
import { runTaskService } from "./task-service.js";

export interface ProcessorTuning {
  readonly groupId: string;
  readonly flushEveryRecords: number;
  readonly flushIntervalMs: number;
}

/** Env vars every processor reads for its tuning, prefixed by the processor's own prefix. */
export function processorTuningVars(prefix: string): string[] {
  return [`${prefix}_GROUP_ID`, `${prefix}_FLUSH_RECORDS`, `${prefix}_FLUSH_INTERVAL_MS`];
}

export function readProcessorTuning(
  platform: Platform,
  prefix: string,
  defaultGroup: string,
  defaults: { flushEveryRecords: number; flushIntervalMs: number } = { flushEveryRecords: 1000, flushIntervalMs: 1000 },
): ProcessorTuning {
  return {
    groupId: platform.env.string(`${prefix}_GROUP_ID`, defaultGroup),
    flushEveryRecords: platform.env.int(`${prefix}_FLUSH_RECORDS`, defaults.flushEveryRecords, {
      min: 1,
      max: 1_000_000,
    }),
    flushIntervalMs: platform.env.int(`${prefix}_FLUSH_INTERVAL_MS`, defaults.flushIntervalMs, {
      min: 1,
      max: 600_000,
    }),
  };
}

/**
 * Runs a projection as a service on the partition-task core: records fold into per-partition
 * batches committed with their offsets through the store; flushes every `flushEveryRecords` or
 * `flushIntervalMs`, and once more on SIGTERM.
 */
export async function runProcessorService<M extends Message, B>(
  platform: Platform,
  projection: Projection<M, B>,
  store: OffsetSafeStore<B>,
  tuning: ProcessorTuning,
  isReady: () => boolean = () => true,
): Promise<void> {
  const topic = lookupTopic(projection.topic);
  await runTaskService(platform, () => projectionTask(projection, store, platform.topic(topic.name)), {
    topic: topic.name,
    groupId: tuning.groupId,
    flushEveryRecords: tuning.flushEveryRecords,
    flushIntervalMs: tuning.flushIntervalMs,
    tickIntervalMs: Math.max(5, Math.floor(tuning.flushIntervalMs / 4)),
    isReady,
    details: { ...tuning },
  });
}
