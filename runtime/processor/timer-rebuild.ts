import type { DescMessage, Message } from "@bufbuild/protobuf";
import { errorMessage } from "../errors.js";
import type { KafkaAdapter } from "../kafka/kafka-adapter.js";
import { readTopicRange } from "../kafka/topic-range-reader.js";
import type { Logger } from "../observability/logger.js";
import type { InitialOffset } from "./core/partition-task.js";
import type { RecordCodec } from "./core/ports.js";

/** How a partition whose stored state is gone (no offsets: Dragonfly lost, FLUSHALL) is rebuilt. */
export interface TimerRebuildPlan {
  /** First offset that can still hold a pending timer's start record. */
  readonly startOffset: number;
  /** Firing ids already in the output topic: not emitted again. */
  readonly fired: ReadonlySet<string>;
  /** Once the watermark passes this, no timer fired before the loss can fire again: `fired` is dropped. */
  readonly forgetFiredAtMs: number;
}

export interface TimerRebuild {
  plan(partition: number): Promise<TimerRebuildPlan>;
  /** Start offset of the partition's latest plan: the task runner's `initialOffset`. */
  readonly initialOffset: InitialOffset;
  /** Outputs were emitted: the next plan must read the output topic again. */
  invalidate(): void;
}

export interface KafkaTimerRebuildOptions {
  readonly kafka: KafkaAdapter;
  /** Physical topics: the timers' input and output. */
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly outputMessage: DescMessage;
  readonly codec: RecordCodec;
  readonly firedIdOfOutput: (message: Message) => string;
  /**
   * How far back (record timestamps) a start record can be and still be pending now: the longest
   * timeout + allowed lateness + the event-time skew allowed ahead of record timestamps.
   */
  readonly lookbackMs: number;
  /** Event times may run this far ahead of the clock (the skew rule): bounds `forgetFiredAtMs`. */
  readonly maxEventSkewMs: number;
  /** An operator-requested earlier start (`tributary replay transaction-timer --from`), or null. */
  readonly requestedFromMs?: () => Promise<number | null>;
  readonly readTimeoutMs?: number;
  readonly log: Logger;
  readonly now?: () => number;
}

/**
 * The bounded rebuild (issue 13): instead of the whole input topic, start at the offsets of
 * `now − lookback` (an offsets-for-times lookup), and read the output topic over the same time
 * range once to learn which timers already fired, so a rebuild re-emits none of them. The output
 * read is shared by the partitions opened together and redone after anything was emitted.
 */
export function kafkaTimerRebuild(o: KafkaTimerRebuildOptions): TimerRebuild {
  const now = o.now ?? Date.now;
  const starts = new Map<number, number>();
  let firedRead: Promise<{ cutoffMs: number; fired: Set<string>; readAtMs: number }> | undefined;
  /** The requested start `firedRead` was planned with: a new request invalidates it. */
  let firedReadRequested: number | null = null;

  const readFired = async (requested: number | null) => {
    const readAtMs = now();
    const bounded = readAtMs - o.lookbackMs;
    const cutoffMs = requested === null ? bounded : Math.min(bounded, requested);
    const from = await o.kafka.offsetsForTimestamp(o.outputTopic, cutoffMs);
    const until = new Map((await o.kafka.partitionOffsets(o.outputTopic)).map((p) => [p.partition, p.high]));
    const fired = new Set<string>();
    const decodes: Promise<string | null>[] = [];
    let undecodable = 0;
    const records = await readTopicRange(o.kafka, {
      topic: o.outputTopic,
      from,
      until,
      groupLabel: "timer-rebuild",
      timeoutMs: o.readTimeoutMs ?? 120_000,
      onRecords: (batch) => {
        for (const record of batch) decodes.push(decodeOne(record));
      },
    });
    // Decoding is async (schema lookups): collected, then awaited.
    for (const id of await Promise.all(decodes)) {
      if (id === null) undecodable++;
      else fired.add(id);
    }
    o.log.info(
      { outputTopic: o.outputTopic, from: Object.fromEntries(from), records, fired: fired.size, undecodable },
      "timer rebuild: read the timers already fired",
    );
    return { cutoffMs, fired, readAtMs };
  };
  const decodeOne = async (record: Parameters<RecordCodec["decode"]>[0]): Promise<string | null> => {
    try {
      return o.firedIdOfOutput((await o.codec.decode(record, o.outputMessage)).message);
    } catch (err) {
      o.log.debug({ err: errorMessage(err), offset: record.offset }, "timer rebuild: undecodable output record");
      return null;
    }
  };

  const plan = async (partition: number): Promise<TimerRebuildPlan> => {
    // Read at every plan: a replay requested after an earlier rebuild (nothing fired since, so
    // its read is still cached) must not be planned from that rebuild's later cutoff.
    const requested = (await o.requestedFromMs?.()) ?? null;
    if (firedRead !== undefined && requested !== firedReadRequested) firedRead = undefined;
    firedReadRequested = requested;
    firedRead ??= readFired(requested);
    let read: Awaited<typeof firedRead>;
    try {
      read = await firedRead;
    } catch (err) {
      firedRead = undefined;
      throw err;
    }
    const offsets = await o.kafka.offsetsForTimestamp(o.inputTopic, read.cutoffMs);
    const startOffset = offsets.get(partition) ?? 0;
    starts.set(partition, startOffset);
    o.log.warn(
      { partition, startOffset, fromTimeMs: read.cutoffMs, alreadyFired: read.fired.size },
      "no stored timer state: bounded rebuild from the oldest record that can still be pending",
    );
    return { startOffset, fired: read.fired, forgetFiredAtMs: read.readAtMs + o.maxEventSkewMs };
  };
  return {
    plan,
    // Called by the task runner right after the task's open planned the partition (same order).
    initialOffset: async (partition) => starts.get(partition) ?? (await plan(partition)).startOffset,
    invalidate: () => {
      firedRead = undefined;
    },
  };
}
