import type { Message } from "@bufbuild/protobuf";
import { type TopicName, topicSpec } from "../catalog/catalog.js";
import type { ComponentCheck } from "../observability/readiness.js";
import type { Platform } from "../platform.js";
import { runConsumerService } from "./consumer-service.js";
import type { InitialOffset, PartitionTask } from "./core/partition-task.js";
import type { ProducerPort } from "./core/ports.js";
import { TaskRunner } from "./core/task-runner.js";

export interface TaskServiceOptions {
  /** Logical (catalog) topic consumed. */
  readonly topic: TopicName;
  readonly groupId: string;
  /** Consumer-group session timeout: how long a dead member holds its partitions. */
  readonly sessionTimeoutMs?: number;
  readonly flushEveryRecords: number;
  readonly flushIntervalMs: number;
  /** See TaskRunnerOptions.flushIdleMs (undefined: off). */
  readonly flushIdleMs?: number;
  readonly tickIntervalMs: number;
  readonly initialOffset?: InitialOffset;
  /** Readiness beyond "consuming" (e.g. the store's connection). */
  readonly isReady?: () => boolean;
  /** Named dependency checks /readyz reports besides the broker and the consumer. */
  readonly readiness?: Readonly<Record<string, ComponentCheck>>;
  /** Logged at start. */
  readonly details?: Record<string, unknown>;
}

/**
 * Runs a partition task as a service: a producer for dead letters and outputs (closed on
 * shutdown), the core on one consumer-group member, the ops server (health, readiness, metrics)
 * and a final commit on SIGTERM. A service's main.ts declares its task and calls this.
 */
export async function runTaskService<M extends Message, S, C>(
  platform: Platform,
  build: (deps: { readonly producer: ProducerPort }) => PartitionTask<M, S, C>,
  options: TaskServiceOptions,
): Promise<void> {
  const { kafka, shutdown, log } = platform;
  const producer = kafka.createProducer();
  await producer.connect();
  shutdown.onShutdown("producer", () => producer.disconnect());
  const task = build({ producer });
  const spec = topicSpec(options.topic);
  const runner = new TaskRunner({
    task,
    topic: platform.topic(spec.name),
    // A DLQ topic consumed (redrive tooling) dead-letters into itself: nothing is dropped.
    deadLetterTopic: platform.topic(spec.deadLetter ?? spec.name),
    groupId: options.groupId,
    codec: platform.codec,
    producer,
    offsets: kafka,
    flushEveryRecords: options.flushEveryRecords,
    flushIntervalMs: options.flushIntervalMs,
    tickIntervalMs: options.tickIntervalMs,
    ...(options.flushIdleMs === undefined ? {} : { flushIdleMs: options.flushIdleMs }),
    ...(options.initialOffset === undefined ? {} : { initialOffset: options.initialOffset }),
    log,
    metrics: platform.metrics,
  });
  const consumer = kafka.createConsumer({
    groupId: options.groupId,
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
  });
  await runConsumerService(
    platform,
    task.name,
    () => runner.run(consumer, shutdown.signal),
    options.isReady ?? (() => true),
    { groupId: options.groupId, ...options.details },
    options.readiness ?? {},
  );
}
