import { randomBytes } from "node:crypto";
import { lookupTopic } from "../catalog/catalog.js";
import type { KafkaAdapter } from "../kafka/kafka-adapter.js";
import type { Logger } from "../observability/logger.js";
import { TaskRunner } from "../processor/core/task-runner.js";
import { projectionTask } from "../processor/projection-task.js";
import type { TopicCodec } from "../serde/topic-codec.js";
import { ProgressBar } from "./progress-bar.js";
import type { AnyReplayTarget } from "./replay-target.js";

export interface ReplayOptions {
  readonly target: AnyReplayTarget;
  readonly kafka: KafkaAdapter;
  readonly codec: TopicCodec;
  readonly log: Logger;
  readonly topicPrefix: string;
  /** "earliest" or an ISO-8601 time: where the rebuilt state starts. */
  readonly from: string;
  readonly signal: AbortSignal;
  readonly flushEveryRecords?: number;
  readonly progress?: ProgressBar;
}

export interface ReplayResult {
  readonly records: number;
  readonly replayId: string;
  readonly switched: boolean;
}

/**
 * Flink-style replay: rebuilds a processor's state from its topic into a fresh namespace while
 * the live state keeps serving, then, once caught up with the end offsets, replaces the live
 * state and offsets by the rebuilt ones in one atomic step (see the ReplayTarget kinds). The live
 * processor notices the new offsets through its compare-and-set and continues from them, so
 * nothing is lost or counted twice.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const { target, kafka, codec, log } = options;
  const replayId = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
  const spec = lookupTopic(target.projection.topic);
  const topic = `${options.topicPrefix}${spec.name}`;
  const startAt = await startOffsets(kafka, topic, options.from);
  const ends = new Map((await kafka.partitionOffsets(topic)).map((p) => [p.partition, p.high]));
  const total = [...ends].reduce((n, [p, high]) => n + Math.max(0, high - (startAt.get(p) ?? 0)), 0);
  const progress = options.progress ?? new ProgressBar(`replay ${target.projection.name}`);
  const positions = new Map(startAt);
  const done = () => [...positions].reduce((n, [p, next]) => n + Math.max(0, next - (startAt.get(p) ?? 0)), 0);
  const caughtUp = () => [...ends].every(([p, high]) => (positions.get(p) ?? 0) >= high);

  const controller = new AbortController();
  options.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const producer = kafka.createProducer();
  await producer.connect();
  const state = await target.open(replayId);
  const groupId = `replay-${target.projection.name}-${replayId}`;
  const runner = new TaskRunner({
    task: projectionTask(target.projection, state.store, topic),
    topic,
    deadLetterTopic: `${options.topicPrefix}${spec.deadLetter ?? `${spec.name}.dlq`}`,
    groupId,
    codec,
    producer,
    offsets: kafka,
    flushEveryRecords: options.flushEveryRecords ?? 5_000,
    flushIntervalMs: 200,
    tickIntervalMs: 50,
    initialOffset: async (partition) => startAt.get(partition) ?? 0,
    log,
    onProgress: (partitions) => {
      for (const p of partitions) {
        positions.set(p.partition, p.committedNext);
        // The topic keeps growing while live traffic flows: chase the newest end seen.
        ends.set(p.partition, Math.max(ends.get(p.partition) ?? 0, p.highWatermark));
      }
      progress.update(done(), Math.max(total, done()));
      if (caughtUp()) controller.abort();
    },
  });
  try {
    if (!caughtUp()) await runner.run(kafka.createConsumer({ groupId }), controller.signal);
  } finally {
    await producer.disconnect();
  }
  if (options.signal.aborted) {
    await state.discard();
    progress.finish(done(), total, "replay cancelled; live state untouched");
    return { records: done(), replayId, switched: false };
  }
  await state.switchOver();
  progress.finish(
    done(),
    Math.max(total, done()),
    `replay switched: live state of ${target.projection.name} rebuilt from ${options.from}`,
  );
  return { records: done(), replayId, switched: true };
}

async function startOffsets(kafka: KafkaAdapter, topic: string, from: string): Promise<Map<number, number>> {
  if (from === "earliest") return new Map((await kafka.partitionOffsets(topic)).map((p) => [p.partition, p.low]));
  const time = Date.parse(from);
  if (Number.isNaN(time)) throw new Error(`--from must be "earliest" or an ISO-8601 time, got "${from}"`);
  return kafka.offsetsForTimestamp(topic, time);
}
