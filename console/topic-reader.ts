import { randomUUID } from "node:crypto";
import type { ConsumedRecord, KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";

/** Group ids of the console's readers start with this (Kubernetes: the KafkaUser's group prefix ACL). */
export const CONSOLE_GROUP_PREFIX = "tributary-console-";

/** Longest a one-shot read may take (group join + fetch); a partner never hangs a page. */
const READ_TIMEOUT_MS = 10_000;

/**
 * Reads the records in [start, end) of each given partition with a throw-away consumer group
 * (kafkajs has no manual assignment): positioned with a seek on the first batch, stopped once
 * every partition reached its end.
 */
export async function readRange(
  kafka: KafkaAdapter,
  topic: string,
  ranges: ReadonlyMap<number, { readonly start: number; readonly end: number }>,
): Promise<ConsumedRecord[]> {
  const pending = new Map([...ranges].filter(([, r]) => r.end > r.start));
  if (pending.size === 0) return [];
  const out: ConsumedRecord[] = [];
  const positions = new Map([...pending].map(([p, r]) => [p, r.start]));
  const seeked = new Set<number>();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), READ_TIMEOUT_MS);
  const consumer = kafka.createConsumer({ groupId: `${CONSOLE_GROUP_PREFIX}read-${randomUUID()}` });
  const done = () => [...pending].every(([p, r]) => (positions.get(p) ?? r.end) >= r.end);
  try {
    await consumer.run({
      topics: [topic],
      fromBeginning: true,
      signal: controller.signal,
      onAssignment: () => seeked.clear(),
      onBatch: async (batch) => {
        const range = pending.get(batch.partition);
        if (range === undefined) return "consumed";
        const from = positions.get(batch.partition) ?? range.start;
        if (!seeked.has(batch.partition) && (batch.records[0]?.offset ?? from) !== from) {
          seeked.add(batch.partition);
          consumer.seek(batch.topic, batch.partition, from);
          return "seeked";
        }
        seeked.add(batch.partition);
        for (const record of batch.records) {
          if (record.offset >= from && record.offset < range.end) out.push(record);
        }
        const last = batch.records.at(-1);
        if (last !== undefined) positions.set(batch.partition, Math.max(from, last.offset + 1));
        if (done()) controller.abort();
        return "consumed";
      },
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return out;
}

/**
 * Follow mode: hands every record written from `starts` on to `onRecords` until `signal` aborts
 * (the page closed its event stream). One consumer group per open follow view.
 */
export async function followTopic(
  kafka: KafkaAdapter,
  topic: string,
  starts: ReadonlyMap<number, number>,
  onRecords: (records: readonly ConsumedRecord[]) => void,
  signal: AbortSignal,
): Promise<void> {
  const positions = new Map(starts);
  const seeked = new Set<number>();
  const consumer = kafka.createConsumer({ groupId: `${CONSOLE_GROUP_PREFIX}follow-${randomUUID()}` });
  try {
    await consumer.run({
      topics: [topic],
      fromBeginning: true,
      signal,
      onAssignment: () => seeked.clear(),
      onBatch: async (batch) => {
        const from = positions.get(batch.partition);
        if (from === undefined) return "consumed";
        if (!seeked.has(batch.partition) && (batch.records[0]?.offset ?? from) !== from) {
          seeked.add(batch.partition);
          consumer.seek(batch.topic, batch.partition, from);
          return "seeked";
        }
        seeked.add(batch.partition);
        const fresh = batch.records.filter((r) => r.offset >= from);
        const last = batch.records.at(-1);
        if (last !== undefined) positions.set(batch.partition, Math.max(from, last.offset + 1));
        if (fresh.length > 0) onRecords(fresh);
        return "consumed";
      },
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
