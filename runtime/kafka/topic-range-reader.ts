import { randomUUID } from "node:crypto";
import { TributaryError } from "../errors.js";
import type { ConsumedRecord, KafkaAdapter } from "./kafka-adapter.js";

export interface TopicRangeOptions {
  /** Physical topic. */
  readonly topic: string;
  /** First offset to read per partition (partitions not listed are not read). */
  readonly from: ReadonlyMap<number, number>;
  /** Read up to (excluding) these offsets; partitions already there are skipped. */
  readonly until: ReadonlyMap<number, number>;
  /** Label of the throwaway consumer group (`<label>-<uuid>`); it holds no offsets. */
  readonly groupLabel: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onRecords: (records: readonly ConsumedRecord[]) => void;
}

/**
 * Reads a bounded range of a topic once (a rebuild's look at what was already written). A
 * consumer-group member is the adapter's way to fetch; it seeks each partition to its start on
 * the first batch and stops when every partition reached its end. Resolves how many records were read.
 */
export async function readTopicRange(kafka: KafkaAdapter, o: TopicRangeOptions): Promise<number> {
  const remaining = new Map<number, { from: number; until: number; seeked: boolean }>();
  for (const [partition, until] of o.until) {
    const from = o.from.get(partition) ?? until;
    if (from < until) remaining.set(partition, { from, until, seeked: false });
  }
  if (remaining.size === 0) return 0;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, o.timeoutMs);
  const consumer = kafka.createConsumer({
    groupId: `${o.groupLabel}-${randomUUID()}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let read = 0;
  try {
    await consumer.run({
      topics: [o.topic],
      fromBeginning: true,
      signal: controller.signal,
      onBatch: async (batch) => {
        const range = remaining.get(batch.partition);
        if (range === undefined) return "consumed";
        const first = batch.records[0];
        if (!range.seeked && first !== undefined && first.offset < range.from) {
          range.seeked = true;
          consumer.seek(o.topic, batch.partition, range.from);
          return "seeked";
        }
        range.seeked = true;
        const inRange = batch.records.filter((r) => r.offset >= range.from && r.offset < range.until);
        read += inRange.length;
        if (inRange.length > 0) o.onRecords(inRange);
        const last = batch.records.at(-1);
        if (last !== undefined && last.offset + 1 >= range.until) remaining.delete(batch.partition);
        if (remaining.size === 0) controller.abort();
        return "consumed";
      },
    });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
  if (remaining.size > 0) {
    const why = timedOut ? `timed out after ${o.timeoutMs} ms` : "aborted";
    throw new TributaryError(
      "unavailable",
      `reading ${o.topic} ${why} with partitions ${[...remaining.keys()].join(",")} unread`,
      { canRetry: true },
    );
  }
  return read;
}
