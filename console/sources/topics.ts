import { type CatalogTopic, topicCatalog } from "../../runtime/catalog/catalog.js";
import { physicalTopic } from "../../runtime/catalog/topic-names.js";
import type { KafkaAdapter, PartitionOffsets } from "../../runtime/kafka/kafka-adapter.js";
import { Cached, type Reading, readSafely } from "../reading.js";

/** Samples of the write rate kept per topic (one per refresh: a minute at 1 s). */
const RATE_SAMPLES = 60;

export interface TopicState {
  readonly name: string;
  readonly physical: string;
  readonly spec: CatalogTopic;
  readonly offsets: Reading<readonly PartitionOffsets[]>;
  /** Records currently held (sum of end − start). */
  readonly records: number;
  /** Records written per second since the previous sample. */
  readonly ratePerSecond: number;
  readonly rateHistory: readonly number[];
}

/** End offsets of every catalog topic, and the write rate from their growth between samples. */
export class TopicSampler {
  readonly #previous = new Map<string, { atMs: number; end: number }>();
  readonly #history = new Map<string, number[]>();
  readonly #cached: Cached<TopicState[]>;

  constructor(
    readonly kafka: KafkaAdapter,
    readonly prefix: string,
    reuseMs: number,
  ) {
    this.#cached = new Cached(reuseMs, () => this.#sample());
  }

  sample(): Promise<TopicState[]> {
    return this.#cached.get();
  }

  async #sample(): Promise<TopicState[]> {
    return Promise.all(
      topicCatalog.map(async (spec) => {
        const physical = physicalTopic(this.prefix, spec.name);
        const offsets = await readSafely(() => this.kafka.partitionOffsets(physical), 3_000);
        const history = this.#history.get(spec.name) ?? [];
        this.#history.set(spec.name, history);
        if (!offsets.ok)
          return { name: spec.name, physical, spec, offsets, records: 0, ratePerSecond: 0, rateHistory: history };
        const end = offsets.value.reduce((n, o) => n + o.high, 0);
        const records = offsets.value.reduce((n, o) => n + o.high - o.low, 0);
        const before = this.#previous.get(spec.name);
        const elapsedMs = before === undefined ? 0 : offsets.atMs - before.atMs;
        const ratePerSecond = before === undefined || elapsedMs <= 0 ? 0 : ((end - before.end) * 1000) / elapsedMs;
        this.#previous.set(spec.name, { atMs: offsets.atMs, end });
        history.push(Math.max(0, ratePerSecond));
        if (history.length > RATE_SAMPLES) history.shift();
        return { name: spec.name, physical, spec, offsets, records, ratePerSecond, rateHistory: [...history] };
      }),
    );
  }
}
