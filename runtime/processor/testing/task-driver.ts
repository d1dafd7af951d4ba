import type { Message } from "@bufbuild/protobuf";
import type { RecordHeaders, RecordPosition } from "../../kafka/kafka-adapter.js";
import { createLogger, type Logger } from "../../observability/logger.js";
import type { PartitionTask } from "../core/partition-task.js";
import type { Clock, ConsumerPort } from "../core/ports.js";
import { TaskRunner } from "../core/task-runner.js";
import type { InMemoryLog } from "./in-memory-log.js";
import { ManualClock } from "./manual-clock.js";
import { ProtobufCodec } from "./protobuf-codec.js";

export interface TaskDriverOptions<M extends Message, S, C> {
  readonly log: InMemoryLog;
  readonly topic: string;
  /** Builds the strategy; called again for every (re)started instance. */
  readonly makeTask: () => PartitionTask<M, S, C>;
  readonly clock?: ManualClock;
  readonly flushEveryRecords?: number;
  readonly flushIntervalMs?: number;
  readonly tickIntervalMs?: number;
  readonly flushIdleMs?: number;
  /** Records per fetched batch. */
  readonly maxBatchRecords?: number;
  readonly logger?: Logger;
}

/** Group offsets shared by the instances of one driver (Kafka's committed offsets: hints only). */
type GroupOffsets = Map<number, number>;

/** One consumer-group member in memory: fetch positions, pauses, seeks and commit hints. */
class DriverConsumer implements ConsumerPort {
  readonly positions = new Map<number, number>();
  readonly paused = new Set<number>();
  seeks: { partition: number; offset: number }[] = [];

  constructor(readonly groupOffsets: GroupOffsets) {}

  async run(): Promise<void> {
    throw new Error("the driver feeds batches itself");
  }

  seek(_topic: string, partition: number, offset: number): void {
    this.positions.set(partition, offset);
    this.seeks.push({ partition, offset });
  }

  pause(_topic: string, partitions: number[]): void {
    for (const p of partitions) this.paused.add(p);
  }

  resume(_topic: string, partitions: number[]): void {
    for (const p of partitions) this.paused.delete(p);
  }

  async commitHint(positions: readonly RecordPosition[]): Promise<void> {
    for (const p of positions) this.groupOffsets.set(p.partition, p.offset);
  }

  async disconnect(): Promise<void> {}
}

/** An instance's view of the shared clock: a killed instance's timers never fire. */
class InstanceClock implements Clock {
  dead = false;
  constructor(readonly shared: ManualClock) {}
  now(): number {
    return this.shared.now();
  }
  setTimeout(fn: () => void, delayMs: number): unknown {
    return this.shared.setTimeout(() => {
      if (!this.dead) fn();
    }, delayMs);
  }
  clearTimeout(handle: unknown): void {
    this.shared.clearTimeout(handle);
  }
}

/** One running instance: its runner, its consumer and the partitions it owns. */
export interface DriverInstance<M extends Message, S, C> {
  readonly clock: InstanceClock;
  readonly runner: TaskRunner<M, S, C>;
  readonly task: PartitionTask<M, S, C>;
  readonly consumer: DriverConsumer;
  assigned: number[];
}

/**
 * Deterministic test driver for the partition-task core, in the spirit of Kafka Streams'
 * TopologyTestDriver: an in-memory log and consumer group (partitions, offsets, rebalances,
 * fetch gaps, pauses) and a manual clock, with the strategy and the core exactly as they run in
 * production. Nothing happens unless a spec calls poll, tick or advance.
 */
export class TaskDriver<M extends Message, S, C> {
  readonly clock: ManualClock;
  readonly log: InMemoryLog;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupOffsets: GroupOffsets = new Map();
  readonly #o: TaskDriverOptions<M, S, C>;
  readonly #codec = new ProtobufCodec();
  readonly #logger: Logger;

  constructor(options: TaskDriverOptions<M, S, C>) {
    this.#o = options;
    this.log = options.log;
    this.topic = options.topic;
    this.deadLetterTopic = `${options.topic}.dlq`;
    this.clock = options.clock ?? new ManualClock();
    this.#logger = options.logger ?? createLogger("task-driver", "silent");
    this.log.createTopic(this.deadLetterTopic, 1);
  }

  /** Starts an instance (a process): a fresh strategy and core on the shared log and store. */
  start(): DriverInstance<M, S, C> {
    const task = this.#o.makeTask();
    const consumer = new DriverConsumer(this.groupOffsets);
    const clock = new InstanceClock(this.clock);
    const runner = new TaskRunner({
      task,
      topic: this.topic,
      deadLetterTopic: this.deadLetterTopic,
      groupId: "driver",
      codec: this.#codec,
      producer: this.log,
      offsets: this.log,
      flushEveryRecords: this.#o.flushEveryRecords ?? 1_000,
      flushIntervalMs: this.#o.flushIntervalMs ?? 1_000,
      tickIntervalMs: this.#o.tickIntervalMs ?? 100,
      ...(this.#o.flushIdleMs === undefined ? {} : { flushIdleMs: this.#o.flushIdleMs }),
      log: this.#logger,
      clock,
    });
    runner.attach(consumer);
    return { clock, runner, task, consumer, assigned: [] };
  }

  /** kill -9: the instance does nothing more (no flush, no timers); the group forgets it. */
  kill(instance: DriverInstance<M, S, C>): void {
    instance.clock.dead = true;
    instance.assigned = [];
  }

  /** A rebalance gives `instance` these partitions; fetching starts at the group's hint or 0. */
  async assign(instance: DriverInstance<M, S, C>, partitions: number[]): Promise<void> {
    instance.assigned = partitions;
    instance.consumer.positions.clear();
    instance.consumer.paused.clear();
    for (const p of partitions) instance.consumer.positions.set(p, this.groupOffsets.get(p) ?? 0);
    await instance.runner.handleAssignment(partitions);
  }

  /** Appends a record to the consumed topic. */
  append(partition: number, key: string, value: Buffer | null, headers: RecordHeaders = {}): RecordPosition {
    return this.log.append(this.topic, partition, { key, value, headers, timestampMs: this.clock.now() });
  }

  /**
   * One fetch round: each owned, unpaused partition with records at its position gets one batch.
   * Resolves the number of records handed over.
   */
  async poll(instance: DriverInstance<M, S, C>): Promise<number> {
    let handed = 0;
    const ends = new Map((await this.log.partitionOffsets(this.topic)).map((e) => [e.partition, e.high]));
    for (const partition of instance.assigned) {
      if (instance.consumer.paused.has(partition)) continue;
      const position = instance.consumer.positions.get(partition) ?? 0;
      const records = this.log.read(this.topic, partition, position, this.#o.maxBatchRecords ?? 100);
      if (records.length === 0) continue;
      handed += records.length;
      const seeksBefore = instance.consumer.seeks.length;
      const outcome = await instance.runner.handleBatch({
        topic: this.topic,
        partition,
        records,
        highWatermark: ends.get(partition) ?? 0,
      });
      const seeked = instance.consumer.seeks.slice(seeksBefore).some((s) => s.partition === partition);
      if (outcome === "consumed" && !seeked) {
        instance.consumer.positions.set(partition, (records[records.length - 1]?.offset ?? position) + 1);
      }
    }
    return handed;
  }

  /** Polls until no owned partition has anything left to hand over (or `maxRounds`). */
  async drain(instance: DriverInstance<M, S, C>, maxRounds = 1_000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) if ((await this.poll(instance)) === 0) return;
    throw new Error(`still records to hand over after ${maxRounds} rounds`);
  }

  /** Advances the manual clock by `ms`, running the core's tick every tickIntervalMs on the way. */
  async advance(instance: DriverInstance<M, S, C>, ms: number): Promise<void> {
    const step = this.#o.tickIntervalMs ?? 100;
    for (let done = 0; done < ms; done += step) {
      this.clock.advance(Math.min(step, ms - done));
      await instance.runner.tick();
      // Work a strategy started on its own (attempts) settles on the microtask queue.
      await settle();
    }
  }
}

/** Lets promise chains started by timers and handlers run to completion. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
