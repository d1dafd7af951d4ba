import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { OutgoingRecord, RecordHeaders, RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";

/** One ping of a batch as the caller sent it (Connect message or plain JSON, already parsed). */
export interface BatchPingInput {
  readonly timestampMs: bigint;
  /** Not supported in a batch yet: refused when set, so a caller never believes it deduplicates. */
  readonly idempotencyKey?: string;
}

/** One written ping, in request order. */
export interface WrittenPing {
  readonly id: string;
  readonly timestampMs: bigint;
  readonly partition: number;
  readonly offset: bigint;
}

export interface PingBatchWriterOptions {
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  /** Physical name of the `pings` topic. */
  readonly pingsTopic: string;
  /** How far ahead of now a timestamp may be (PING_MAX_FUTURE_MS). */
  readonly maxFutureMs: number;
  /** Most pings per call (GATEWAY_PING_BATCH_MAX_ITEMS). */
  readonly maxItems: number;
  readonly now?: () => number;
}

function invalid(field: string, message: string): TributaryError {
  return new TributaryError("invalid_argument", message, { field });
}

/**
 * The write behind PingBatch, PingStream and `POST /pings`: validates every ping first (the
 * error names the index and field, `pings[3].timestamp_ms`; nothing is written on rejection),
 * then sends all records as one send and answers after every ack, each ping with its own
 * partition and offset.
 */
export class PingBatchWriter {
  readonly #o: PingBatchWriterOptions;
  readonly #now: () => number;

  constructor(options: PingBatchWriterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get maxItems(): number {
    return this.#o.maxItems;
  }

  /** Throws invalid_argument naming `pings[index].<field>` when ping `index` is not acceptable. */
  check(index: number, ping: BatchPingInput, nowMs = this.#now()): void {
    if (index >= this.#o.maxItems) {
      throw invalid("pings", `more than ${this.#o.maxItems} pings in one call (GATEWAY_PING_BATCH_MAX_ITEMS)`);
    }
    const field = `pings[${index}].timestamp_ms`;
    const { timestampMs } = ping;
    if (timestampMs === 0n) throw invalid(field, "is required (milliseconds since the Unix epoch)");
    if (timestampMs < 0n) throw invalid(field, `must be > 0, got ${timestampMs}`);
    if (timestampMs > BigInt(nowMs + this.#o.maxFutureMs)) {
      throw invalid(field, `is too far in the future (${timestampMs}); milliseconds expected`);
    }
    if (ping.idempotencyKey !== undefined && ping.idempotencyKey !== "") {
      throw invalid(
        `pings[${index}].idempotency_key`,
        "is not supported in a batch; send keyed pings with Ping, or leave it empty",
      );
    }
  }

  /** Validates all, then writes all; `headers` (trace context) go on every record. */
  async write(pings: readonly BatchPingInput[], headers: RecordHeaders, signal?: AbortSignal): Promise<WrittenPing[]> {
    if (pings.length === 0) throw invalid("pings", "at least one ping is required");
    const nowMs = this.#now();
    for (let i = 0; i < pings.length; i++) this.check(i, pings[i] as BatchPingInput, nowMs);
    const { codec, pingsTopic } = this.#o;
    const acceptedAtMs = BigInt(nowMs);
    const ids: string[] = new Array(pings.length);
    const records: OutgoingRecord[] = new Array(pings.length);
    for (let i = 0; i < pings.length; i++) {
      const id = randomUUID();
      ids[i] = id;
      const message = create(PingRecordedSchema, {
        id,
        timestampMs: (pings[i] as BatchPingInput).timestampMs,
        acceptedAtMs,
      });
      records[i] = codec.encode(pingsTopic, PingRecordedSchema, message, id, headers);
    }
    // The record timestamp stays the producer's clock, as for Ping (retention works on it).
    const positions = await this.#o.producer.sendAll(pingsTopic, records, signal === undefined ? {} : { signal });
    return positions.map((p, i) => ({
      id: ids[i] as string,
      timestampMs: (pings[i] as BatchPingInput).timestampMs,
      partition: p.partition,
      offset: BigInt(p.offset),
    }));
  }
}
