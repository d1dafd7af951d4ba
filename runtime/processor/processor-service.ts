import type { Message } from "@bufbuild/protobuf";
import { lookupTopic } from "../catalog/catalog.js";
import type { Platform } from "../platform.js";
import type { OffsetSafeStore } from "./offset-safe-store.js";
import type { Projection } from "./projection.js";
import { projectionTask } from "./projection-task.js";
import { runTaskService } from "./task-service.js";

/** Default <PREFIX>_FLUSH_IDLE_MS (see ProcessorTuning.flushIdleMs). */
const DEFAULT_FLUSH_IDLE_MS = 50;

export interface ProcessorTuning {
  readonly groupId: string;
  readonly flushEveryRecords: number;
  readonly flushIntervalMs: number;
  /**
   * <PREFIX>_FLUSH_IDLE_MS: commit this soon after the previous commit once the input is caught up
   * (see TaskRunnerOptions.flushIdleMs); 0 turns it off. Default 50: ack → visible stays well under
   * 250 ms at low rates, at ≤ 20 commits/s per instance; a backlog still commits every
   * flushEveryRecords. Used by projections (runProcessorService).
   */
  readonly flushIdleMs: number;
}

/** Env vars every processor reads for its tuning, prefixed by the processor's own prefix. */
export function processorTuningVars(prefix: string): string[] {
  return [`${prefix}_GROUP_ID`, `${prefix}_FLUSH_RECORDS`, `${prefix}_FLUSH_INTERVAL_MS`, `${prefix}_FLUSH_IDLE_MS`];
}

export function readProcessorTuning(
  platform: Platform,
  prefix: string,
  defaultGroup: string,
  defaults: { flushEveryRecords: number; flushIntervalMs: number; flushIdleMs?: number } = {
    flushEveryRecords: 1000,
    flushIntervalMs: 1000,
  },
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
    flushIdleMs: platform.env.int(`${prefix}_FLUSH_IDLE_MS`, defaults.flushIdleMs ?? DEFAULT_FLUSH_IDLE_MS, {
      min: 0,
      max: 600_000,
    }),
  };
}

/**
 * Runs a projection as a service on the partition-task core: records fold into per-partition
 * batches committed with their offsets through the store; flushes every `flushEveryRecords` or
 * `flushIntervalMs`, `flushIdleMs` after the last commit once the input is caught up, and once
 * more on SIGTERM.
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
    ...(tuning.flushIdleMs > 0 ? { flushIdleMs: tuning.flushIdleMs } : {}),
    // The tick also runs the idle flush: often enough that it adds at most half its delay.
    tickIntervalMs: Math.max(
      5,
      Math.floor(Math.min(tuning.flushIntervalMs / 4, tuning.flushIdleMs > 0 ? tuning.flushIdleMs / 2 : Infinity)),
    ),
    isReady,
    details: { ...tuning },
  });
}
