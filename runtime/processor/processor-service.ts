import type { Message } from "@bufbuild/protobuf";
import { topicSpec } from "../catalog/catalog.js";
import { errorMessage } from "../errors.js";
import { startOpsServer } from "../observability/ops-server.js";
import type { Platform } from "../platform.js";
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
  const { log, shutdown, kafka, codec, config } = platform;
  const producer = kafka.createProducer();
  await producer.connect();
  let consuming = false;
  const ops = await startOpsServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: platform.metrics,
    readiness: () => ({ ok: consuming && isReady(), detail: consuming ? "" : "joining consumer group" }),
  });
  shutdown.onShutdown("ops-server", () => ops.close());
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
  log.info({ port: ops.port, ...tuning }, `${projection.name} started`);
  consuming = true;
  const running = runner.run();
  // Registered last, so it runs first on shutdown: the final flush still has its store and DLQ
  // producer; they close after it.
  shutdown.onShutdown("consumer", () => running.catch(() => undefined));
  try {
    await running;
  } catch (err) {
    log.error({ err: errorMessage(err) }, `${projection.name} stopped on error`);
    process.exitCode = 1;
    await shutdown.trigger("fatal error");
    return;
  }
  await shutdown.trigger("consumer finished");
}
