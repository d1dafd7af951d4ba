import { createHash } from "node:crypto";
import type {
  ConsumedRecord,
  OutgoingRecord,
  PartitionOffsets,
  RecordHeaders,
  RecordPosition,
} from "../../kafka/kafka-adapter.js";
import type { OffsetsPort, ProducerPort } from "../core/ports.js";

/**
 * Topics, partitions and offsets in memory, for the deterministic driver: the producer and the
 * admin's offsets of a broker, without one. Keys pick partitions by hash, like the default
 * partitioner does (not the same hash: specs must not depend on where a key lands).
 */
export class InMemoryLog implements OffsetsPort, ProducerPort {
  readonly #topics = new Map<string, ConsumedRecord[][]>();
  readonly #logStart = new Map<string, number>();
  /** Sends that fail (the next N), to exercise commit paths that emit first. */
  failNextSends = 0;

  createTopic(topic: string, partitions: number): void {
    if (!this.#topics.has(topic))
      this.#topics.set(
        topic,
        Array.from({ length: partitions }, () => []),
      );
  }

  #partitions(topic: string): ConsumedRecord[][] {
    const partitions = this.#topics.get(topic);
    if (partitions === undefined) throw new Error(`topic ${topic} does not exist`);
    return partitions;
  }

  append(
    topic: string,
    partition: number,
    record: { key: string; value: Buffer | null; headers?: RecordHeaders; timestampMs?: number },
  ): RecordPosition {
    const log = this.#partitions(topic)[partition];
    if (log === undefined) throw new Error(`${topic} has no partition ${partition}`);
    const offset = (this.#logStart.get(`${topic}:${partition}`) ?? 0) + log.length;
    log.push({
      topic,
      partition,
      offset,
      key: record.key,
      value: record.value,
      headers: record.headers ?? {},
      timestampMs: record.timestampMs ?? 0,
    });
    return { topic, partition, offset };
  }

  /** Retention: records before `offset` are gone; the log start moves there. */
  deleteBefore(topic: string, partition: number, offset: number): void {
    const log = this.#partitions(topic)[partition] ?? [];
    const start = this.#logStart.get(`${topic}:${partition}`) ?? 0;
    log.splice(0, Math.max(0, Math.min(log.length, offset - start)));
    this.#logStart.set(`${topic}:${partition}`, Math.max(start, offset));
  }

  /** Records of a partition from `fromOffset`, at most `max`. */
  read(topic: string, partition: number, fromOffset: number, max: number): ConsumedRecord[] {
    const log = this.#partitions(topic)[partition] ?? [];
    const start = this.#logStart.get(`${topic}:${partition}`) ?? 0;
    return log.slice(Math.max(0, fromOffset - start), Math.max(0, fromOffset - start) + max);
  }

  records(topic: string): ConsumedRecord[] {
    return this.#partitions(topic).flat();
  }

  partitionCount(topic: string): number {
    return this.#partitions(topic).length;
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.#partitions(topic).map((log, partition) => {
      const low = this.#logStart.get(`${topic}:${partition}`) ?? 0;
      return { partition, low, high: low + log.length };
    });
  }

  async send(topic: string, record: OutgoingRecord): Promise<RecordPosition> {
    if (this.failNextSends > 0) {
      this.failNextSends -= 1;
      throw new Error("in-memory broker: send failed (injected)");
    }
    const count = this.#partitions(topic).length;
    const partition = createHash("sha1").update(record.key).digest().readUInt32BE(0) % count;
    return this.append(topic, partition, { ...record, timestampMs: record.timestampMs ?? 0 });
  }

  async sendAll(topic: string, records: readonly OutgoingRecord[]): Promise<RecordPosition[]> {
    const positions: RecordPosition[] = [];
    for (const record of records) positions.push(await this.send(topic, record));
    return positions;
  }
}
