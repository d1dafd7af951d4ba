import type { Message } from "@bufbuild/protobuf";
import { topicSpec } from "../catalog/catalog.js";
import type { Platform } from "../platform.js";
import { runConsumerService } from "./consumer-service.js";
import type { OffsetSafeStore } from "./offset-safe-store.js";
import type { Projection } from "./projection.js";
import { ProjectionRunner } from "./run-projection.js";

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
 * Runs a projection as a service: ops HTTP server (health, readiness, metrics), DLQ producer,
 * the offset-safe runner, and a clean flush on SIGTERM.
 */
export async function runProcessorService<M extends Message, B>(
  platform: Platform,
  projection: Projection<M, B>,
  store: OffsetSafeStore<B>,
  tuning: ProcessorTuning,
  isReady: () => boolean = () => true,
): Promise<void> {
  const { log, shutdown, kafka, codec } = platform;
  const producer = kafka.createProducer();
  await producer.connect();
  shutdown.onShutdown("dlq-producer", () => producer.disconnect());
  const spec = topicSpec(projection.topic);
  const runner = new ProjectionRunner({
    projection,
    store,
    kafka,
    codec,
    producer,
    physicalTopic: platform.topic(spec.name),
    deadLetterTopic: platform.topic(spec.deadLetter ?? `${spec.name}.dlq`),
    groupId: tuning.groupId,
    flushEveryRecords: tuning.flushEveryRecords,
    flushIntervalMs: tuning.flushIntervalMs,
    signal: shutdown.signal,
    log,
    metrics: platform.metrics,
  });
  await runConsumerService(platform, projection.name, () => runner.run(), isReady, { ...tuning });
}
