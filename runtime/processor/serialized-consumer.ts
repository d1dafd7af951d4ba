import type { KafkaAdapter, PartitionBatch, RecordConsumer } from "../kafka/kafka-adapter.js";
import type { AsyncMutex } from "./async-mutex.js";

export interface SerializedConsumerOptions {
  readonly kafka: KafkaAdapter;
  readonly groupId: string;
  readonly sessionTimeoutMs?: number;
  readonly topic: string;
  readonly signal: AbortSignal;
  /** Batches, periodic work and rebalances all run under this mutex, never interleaved. */
  readonly mutex: AsyncMutex;
  readonly intervalMs: number;
  /** The consumer, as soon as it exists (runners seek, pause and commit hints through it). */
  onConsumer(consumer: RecordConsumer): void;
  onBatch(batch: PartitionBatch): Promise<"consumed" | "seeked">;
  /** Periodic work (flush, timer tick). */
  onInterval(): Promise<void>;
  /** Partitions of `topic` this member owns after a rebalance. */
  onAssignment(partitions: readonly number[]): Promise<void>;
  /** After the loop ended on the signal (not after a failure), before the consumer leaves the group. */
  onStopped(): Promise<void>;
  onError(err: unknown, context: string): void;
}

/**
 * The consumer loop every runner shares: one group member on one topic, with batch intake,
 * periodic work and rebalance handling serialized by one mutex; the interval stops before the
 * final step, and the consumer always disconnects.
 */
export async function runSerializedConsumer(o: SerializedConsumerOptions): Promise<void> {
  const consumer = o.kafka.createConsumer({
    groupId: o.groupId,
    ...(o.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: o.sessionTimeoutMs }),
  });
  o.onConsumer(consumer);
  const interval = setInterval(() => {
    void o.mutex.run(() => o.onInterval()).catch((err: unknown) => o.onError(err, "periodic step failed; retrying"));
  }, o.intervalMs);
  try {
    await consumer.run({
      topics: [o.topic],
      fromBeginning: true,
      signal: o.signal,
      onBatch: (batch) => o.mutex.run(() => o.onBatch(batch)),
      onAssignment: (assigned) => {
        const mine = assigned.filter((a) => a.topic === o.topic).map((a) => a.partition);
        void o.mutex.run(() => o.onAssignment(mine)).catch((err: unknown) => o.onError(err, "assignment failed"));
      },
    });
    clearInterval(interval);
    await o.onStopped();
  } finally {
    clearInterval(interval);
    await consumer.disconnect().catch(() => undefined);
  }
}
