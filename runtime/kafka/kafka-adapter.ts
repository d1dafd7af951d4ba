// The only module that imports kafkajs: flows and the rest of the runtime see the types below.

import { createRequire } from "node:module";
import {
  type Admin,
  AssignerProtocol,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  type logCreator,
  logLevel,
  Partitioners,
  type PartitionMetadata,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import type { KafkaSecurity } from "../config/kafka-security.js";
import { errorMessage, TributaryError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { ConsumerWatchdog } from "./consumer-watchdog.js";
import { ProduceQueue, type QueuedRecord, type SendOptions } from "./produce-queue.js";

/** The part of kafkajs's (internal) RequestQueue that the idle-loop fix below touches. */
interface KafkajsRequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/**
 * kafkajs 2.2.4 re-arms a 1 ms timer on every broker connection forever when nothing is pending
 * and nothing is throttled (`setTimeout(check, throttledUntil - now)` with a negative delay):
 * thousands of wake-ups per second per connection, ≈ 4–5 % of a core per idle service here
 * (tulios/kafkajs#1556, #1704; the fix is unreleased upstream). With nothing pending there is
 * nothing to check: a new request and every response run the check themselves. Throttling and
 * pending requests keep kafkajs's own schedule.
 */
function fixKafkajsIdleLoop(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
    prototype: KafkajsRequestQueue;
  };
  const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
  RequestQueue.prototype.scheduleCheckPendingRequests = function schedule(this: KafkajsRequestQueue) {
    if (this.throttleCheckTimeoutId) return;
    let delayMs = this.throttledUntil - Date.now();
    if (this.pending.length === 0) {
      if (delayMs <= 0) return;
    } else if (delayMs <= 0) delayMs = CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delayMs);
  };
}
fixKafkajsIdleLoop();

export type RecordHeaders = Record<string, string>;

export interface OutgoingRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: RecordHeaders;
  readonly timestampMs?: number;
  /** Explicit partition; default: by key (murmur2). A command meant for every partition needs it. */
  readonly partition?: number;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  readonly timestampMs: number;
}

export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** Offset the next produced record of this partition will get (log end offset). */
  readonly highWatermark: number;
}

export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface TopicDeclaration {
  readonly name: string;
  readonly partitions: number;
  readonly configs: Record<string, string>;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset. */
  readonly low: number;
  /** Log end offset. */
  readonly high: number;
}

/** One member of a consumer group and the partitions it owns (for the console). */
export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly assignments: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface GroupState {
  readonly groupId: string;
  /** Kafka's group state: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  readonly state: string;
  readonly members: readonly GroupMember[];
}

export interface KafkaAdapterOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** Consumer watchdog: silence (no fetch, heartbeat, rejoin) this long fails the run. Default 60000. */
  readonly consumerStallMs?: number;
  /** SASL and TLS (runtime/config/kafka-security.ts). Default: plaintext without SASL. */
  readonly security?: KafkaSecurity;
}

/** Result of a broker probe, for readiness. */
export interface BrokerHealth {
  readonly ok: boolean;
  readonly detail: string;
}

/** How long a broker probe result is reused: readiness probes of every pod must not flood the broker. */
const BROKER_PROBE_CACHE_MS = 1_500;

export class KafkaAdapter {
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #consumerStallMs: number;
  #admin: Admin | undefined;
  #probe: { atMs: number; result: Promise<BrokerHealth> } | undefined;

  constructor(options: KafkaAdapterOptions) {
    this.#logger = options.logger;
    this.#consumerStallMs = options.consumerStallMs ?? 60_000;
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator: pinoLogCreator(options.logger),
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
      connectionTimeout: 5_000,
      ...(options.security?.tls === undefined
        ? {}
        : { ssl: options.security.tls.ca === undefined ? true : { ca: [options.security.tls.ca] } }),
      ...(options.security?.sasl === undefined ? {} : { sasl: { ...options.security.sasl } as SASLOptions }),
    });
  }

  async #adminClient(): Promise<Admin> {
    if (this.#admin === undefined) {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  /**
   * Whether a broker answers a metadata request within `timeoutMs` (cached ~1.5 s; concurrent
   * callers share one probe). Used by /readyz: a producer that connected once says nothing about
   * the broker now.
   */
  probeBroker(timeoutMs = 1_000): Promise<BrokerHealth> {
    const nowMs = Date.now();
    if (this.#probe !== undefined && nowMs - this.#probe.atMs < BROKER_PROBE_CACHE_MS) return this.#probe.result;
    const result = (async (): Promise<BrokerHealth> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.#adminClient().then((admin) => admin.describeCluster()),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no metadata answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { ok: true, detail: "" };
      } catch (err) {
        return { ok: false, detail: errorMessage(err) };
      } finally {
        clearTimeout(timer);
      }
    })();
    this.#probe = { atMs: nowMs, result };
    return result;
  }

  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  async ensureTopics(topics: readonly TopicDeclaration[]): Promise<string[]> {
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return [];
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: -1,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (err) {
      // Another process may have created the same topic between list and create.
      if (!(err instanceof Error && /already exists/i.test(err.message))) throw translate(err);
    }
    return missing.map((t) => t.name);
  }

  async listTopics(): Promise<string[]> {
    return (await this.#adminClient()).listTopics();
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await (await this.#adminClient()).deleteTopics({ topics: [...names] });
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await (await this.#adminClient()).fetchTopicOffsets(topic);
        return offsets
          .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
          .sort((a, b) => a.partition - b.partition);
      } catch (err) {
        // kafkajs sometimes gets an empty ListOffsets answer and fails with a TypeError
        // ("Cannot destructure property 'partitions' of 'low.pop(...)'"); asking again works.
        // Untranslated, that TypeError is "unrecoverable" to kafkajs and kills a consumer for good.
        if (err instanceof TypeError && attempt < 3) {
          await new Promise((r) => setTimeout(r, 50 * attempt));
          continue;
        }
        // Right after a topic is created its partitions may have no leader yet
        // (NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE, retriable): wait for the election.
        if (isRetriableProtocolError(err) && attempt < 10) {
          await new Promise((r) => setTimeout(r, 100 * attempt));
          continue;
        }
        throw translate(err);
      }
    }
  }

  /** First offset of each partition whose record timestamp is >= timestampMs (or the end). */
  async offsetsForTimestamp(topic: string, timestampMs: number): Promise<Map<number, number>> {
    const offsets = await (await this.#adminClient()).fetchTopicOffsetsByTimestamp(topic, timestampMs);
    const ends = await this.partitionOffsets(topic);
    return new Map(
      offsets.map((o) => {
        const offset = Number(o.offset);
        const end = ends.find((e) => e.partition === o.partition)?.high ?? 0;
        return [o.partition, offset < 0 ? end : offset];
      }),
    );
  }

  /**
   * `sendTimeoutMs`: default bound of every `send` (see SendOptions). When set, kafkajs's own
   * retries are bounded to about that long too: with the cluster's retry settings a send to a
   * dead broker kept the batch (and every call queued behind it) for ~40 s.
   * `lingerMs`: default linger of every send (SendOptions.lingerMs; default 0).
   */
  createProducer(
    options: { transactionalId?: string; sendTimeoutMs?: number; lingerMs?: number } = {},
  ): RecordProducer {
    return new RecordProducer(
      this,
      this.#kafka.producer(producerConfig(options.transactionalId, options.sendTimeoutMs)),
      this.#logger,
      { sendTimeoutMs: options.sendTimeoutMs, lingerMs: options.lingerMs },
    );
  }

  createConsumer(options: ConsumerOptions): RecordConsumer {
    return new RecordConsumer(
      this.#kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 10_000,
        heartbeatInterval: 1_000,
        rebalanceTimeout: options.sessionTimeoutMs ?? 10_000,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
        readUncommitted: false,
        // Bounds how long a disconnect waits for the in-flight long poll (kafkajs default: 5 s).
        maxWaitTimeInMs: 1_000,
        allowAutoTopicCreation: false,
      }),
      options,
      this.#consumerStallMs,
    );
  }

  /** Members of consumer groups with their assigned partitions (DescribeGroups). */
  async describeGroups(groupIds: readonly string[]): Promise<GroupState[]> {
    if (groupIds.length === 0) return [];
    try {
      const { groups } = await (await this.#adminClient()).describeGroups([...groupIds]);
      return groups.map((g) => ({
        groupId: g.groupId,
        state: g.state,
        members: g.members.map((m) => {
          const decoded =
            m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
          return {
            memberId: m.memberId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            assignments: Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({
              topic,
              partitions: [...partitions].sort((a, b) => a - b),
            })),
          };
        }),
      }));
    } catch (err) {
      throw translate(err);
    }
  }

  /** Partition metadata, cached per topic, for key-based partitioning (Java-compatible murmur2). */
  async partitionMetadata(topic: string): Promise<PartitionMetadata[]> {
    const meta = await (await this.#adminClient()).fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions ?? [];
  }

  async close(): Promise<void> {
    await this.#admin?.disconnect();
    this.#admin = undefined;
  }
}

function producerConfig(transactionalId: string | undefined, sendTimeoutMs: number | undefined) {
  return {
    // Retries 100, 200, 400, 800, 1000 ms (+ jitter): ~2.5 s of back-off, then the batch fails.
    ...(sendTimeoutMs === undefined
      ? {}
      : { retry: { retries: 5, initialRetryTime: 100, maxRetryTime: Math.min(1_000, sendTimeoutMs) } }),
    idempotent: true,
    // kafkajs keeps sequence numbers correct only with one request in flight per broker.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(transactionalId === undefined ? {} : { transactionalId, transactionTimeout: 30_000 }),
  };
}

type KeyPartitioner = (args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: { key: string };
}) => number;

export type { SendOptions } from "./produce-queue.js";

/** Records per produce request: a larger send is split, its caller answered after every part. */
const MAX_RECORDS_PER_REQUEST = 5_000;

/**
 * Idempotent producer with acks=all. `send`/`sendAll` go through a ProduceQueue: concurrent calls
 * are coalesced into one request per round trip (with an optional linger), each caller answered
 * with its own positions after the ack.
 */
export class RecordProducer {
  readonly #adapter: KafkaAdapter;
  readonly #producer: Producer;
  readonly #logger: Logger;
  readonly #partitioner: KeyPartitioner = Partitioners.DefaultPartitioner() as KeyPartitioner;
  readonly #metadata = new Map<string, Promise<PartitionMetadata[]>>();
  readonly #queue: ProduceQueue;
  #connected = false;

  constructor(
    adapter: KafkaAdapter,
    producer: Producer,
    logger: Logger,
    defaults: { sendTimeoutMs?: number | undefined; lingerMs?: number | undefined } = {},
  ) {
    this.#adapter = adapter;
    this.#producer = producer;
    this.#logger = logger;
    this.#queue = new ProduceQueue({
      write: (records) => this.#sendBatch(records),
      translate,
      maxRecordsPerRequest: MAX_RECORDS_PER_REQUEST,
      ...(defaults.sendTimeoutMs === undefined ? {} : { defaultTimeoutMs: defaults.sendTimeoutMs }),
      ...(defaults.lingerMs === undefined ? {} : { defaultLingerMs: defaults.lingerMs }),
    });
  }

  async connect(): Promise<void> {
    await this.#producer.connect();
    this.#connected = true;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Sends one record; resolves with its position once acknowledged by all in-sync replicas. */
  async send(topic: string, record: OutgoingRecord, options: SendOptions = {}): Promise<RecordPosition> {
    const [position] = await this.#queue.enqueue(topic, [record], options);
    return position as RecordPosition;
  }

  /**
   * Sends many records as one send (one deadline, one timeout): resolves with every position, in
   * order, once all are acknowledged; rejects on the first failure (some may then be written).
   */
  sendAll(topic: string, records: readonly OutgoingRecord[], options: SendOptions = {}): Promise<RecordPosition[]> {
    return this.#queue.enqueue(topic, records, options);
  }

  async #sendBatch(batch: readonly QueuedRecord[]): Promise<RecordPosition[]> {
    // Partition explicitly so each caller learns its own offset: kafkajs only reports a base
    // offset per partition, and records of a partition are appended in request order.
    const partitionOf = new Array<number>(batch.length);
    const groups = new Map<string, { topic: string; partition: number; indexes: number[] }>();
    let lastTopic = "";
    let partitionMetadata: PartitionMetadata[] = [];
    for (let i = 0; i < batch.length; i++) {
      const { topic, record } = batch[i] as QueuedRecord;
      if (topic !== lastTopic) {
        partitionMetadata = await this.#partitionsOf(topic);
        lastTopic = topic;
      }
      const partition =
        record.partition ?? this.#partitioner({ topic, partitionMetadata, message: { key: record.key } });
      partitionOf[i] = partition;
      const id = `${topic}\u0000${partition}`;
      let group = groups.get(id);
      if (group === undefined) {
        group = { topic, partition, indexes: [] };
        groups.set(id, group);
      }
      group.indexes.push(i);
    }
    const byTopic = new Map<string, ReturnType<typeof toMessage>[]>();
    for (const g of groups.values()) {
      let messages = byTopic.get(g.topic);
      if (messages === undefined) {
        messages = [];
        byTopic.set(g.topic, messages);
      }
      for (const i of g.indexes) messages.push(toMessage((batch[i] as QueuedRecord).record, g.partition));
    }
    const result = await this.#producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages })),
    });
    const positions = new Array<RecordPosition>(batch.length);
    for (const g of groups.values()) {
      const meta = result.find((r) => r.topicName === g.topic && r.partition === g.partition);
      const base = Number(meta?.baseOffset ?? "-1");
      g.indexes.forEach((index, i) => {
        positions[index] = { topic: g.topic, partition: g.partition, offset: base + i };
      });
    }
    return positions;
  }

  #partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    let cached = this.#metadata.get(topic);
    if (cached === undefined) {
      cached = this.#adapter.partitionMetadata(topic).then((p) => {
        if (p.length === 0) {
          this.#metadata.delete(topic);
          throw new TributaryError("not_found", `topic ${topic} does not exist`, { canRetry: true });
        }
        return p;
      });
      cached.catch(() => this.#metadata.delete(topic));
      this.#metadata.set(topic, cached);
    }
    return cached;
  }

  /**
   * Runs `fn` inside a Kafka transaction: records sent through `tx.send` and the consumer offsets
   * given to `tx.commitOffsets` become visible together, or not at all.
   */
  async transaction(
    fn: (tx: {
      send: (topic: string, records: readonly OutgoingRecord[]) => Promise<void>;
      commitOffsets: (groupId: string, positions: readonly RecordPosition[]) => Promise<void>;
    }) => Promise<void>,
  ): Promise<void> {
    const tx = await this.#producer.transaction();
    try {
      await fn({
        send: async (topic, records) => {
          await tx.send({ topic, acks: -1, messages: records.map((r) => toMessage(r)) });
        },
        commitOffsets: async (groupId, positions) => {
          const topics = new Map<string, { partition: number; offset: string }[]>();
          for (const p of positions) {
            topics.set(p.topic, [...(topics.get(p.topic) ?? []), { partition: p.partition, offset: String(p.offset) }]);
          }
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [...topics.entries()].map(([topic, partitions]) => ({ topic, partitions })),
          });
        },
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch((abortErr: unknown) => this.#logger.warn({ err: abortErr }, "transaction abort failed"));
      throw translate(err);
    }
  }

  async disconnect(): Promise<void> {
    await this.#queue.drained();
    await this.#producer.disconnect();
    this.#connected = false;
  }
}

function toMessage(record: OutgoingRecord, partition?: number) {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers,
    ...(partition === undefined ? {} : { partition }),
    ...(record.timestampMs === undefined ? {} : { timestamp: String(record.timestampMs) }),
  };
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly sessionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
}

export interface ConsumerRunOptions {
  readonly topics: readonly string[];
  /** Where a partition without a committed group offset starts. */
  readonly fromBeginning: boolean;
  readonly signal: AbortSignal;
  /**
   * One partition's records at a time, in offset order. Resolves "consumed" to move the fetch
   * position past the batch, or "seeked" after calling `seek` for this partition.
   */
  readonly onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<"consumed" | "seeked">;
  /** Called after every rebalance with the partitions this member now owns. */
  readonly onAssignment?: (assigned: readonly { topic: string; partition: number }[]) => void;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** True when the batch should be abandoned (shutdown, rebalance, seek). */
  isStale(): boolean;
}

/** Consumer-group member delivering per-partition batches; offsets are managed by the caller. */
export class RecordConsumer {
  readonly #consumer: Consumer;
  readonly options: ConsumerOptions;
  readonly #stallMs: number;
  #running = false;

  constructor(consumer: Consumer, options: ConsumerOptions, stallMs = 60_000) {
    this.#consumer = consumer;
    this.options = options;
    this.#stallMs = stallMs;
  }

  async run(options: ConsumerRunOptions): Promise<void> {
    let stalled: (err: TributaryError) => void = () => undefined;
    const watchdog = new ConsumerWatchdog({ stallMs: this.#stallMs, onStall: (err) => stalled(err) });
    const { events } = this.#consumer;
    for (const event of [events.FETCH_START, events.FETCH, events.HEARTBEAT, events.GROUP_JOIN, events.CONNECT]) {
      this.#consumer.on(event, () => watchdog.touch());
    }
    this.#consumer.on(events.START_BATCH_PROCESS, () => watchdog.batchStarted());
    this.#consumer.on(events.END_BATCH_PROCESS, () => watchdog.batchEnded());
    await this.#consumer.connect();
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment;
      options.onAssignment?.(
        Object.entries(assignment).flatMap(([topic, partitions]) =>
          partitions.map((partition) => ({ topic, partition })),
        ),
      );
    });
    for (const topic of options.topics) {
      await this.#consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
    }
    this.#running = true;
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload: EachBatchPayload) => {
        if (options.signal.aborted || !payload.isRunning() || payload.isStale()) return;
        const { batch } = payload;
        const outcome = await options.onBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: Number(batch.highWatermark),
            records: batch.messages.map((m) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: Number(m.offset),
              key: m.key === null ? null : m.key.toString("utf8"),
              value: m.value,
              headers: decodeHeaders(m.headers),
              timestampMs: Number(m.timestamp),
            })),
          },
          {
            heartbeat: () => payload.heartbeat(),
            isStale: () => options.signal.aborted || !payload.isRunning() || payload.isStale(),
          },
        );
        // kafkajs fetches from the last resolved offset: resolve only what was taken, never
        // after a seek (it would undo the seek).
        if (outcome === "consumed" && batch.messages.length > 0) payload.resolveOffset(batch.lastOffset());
        await payload.heartbeat();
      },
    });
    watchdog.start();
    try {
      await new Promise<void>((resolve, reject) => {
        if (options.signal.aborted) resolve();
        options.signal.addEventListener("abort", () => resolve(), { once: true });
        // kafkajs sometimes never rejoins after a broker restart and goes silent: fail loudly.
        stalled = reject;
        // kafkajs restarts after retriable failures by itself; after any other it stops consuming
        // for good while the process lives on. Fail instead, so the service exits and is restarted.
        this.#consumer.on(this.#consumer.events.CRASH, (event) => {
          if (!event.payload.restart) reject(translate(event.payload.error));
        });
      });
    } finally {
      watchdog.stop();
    }
  }

  /** Next fetch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: number): void {
    this.#consumer.seek({ topic, partition, offset: String(offset) });
  }

  /** Stores group offsets in Kafka: only a hint for where a new member starts; the store decides. */
  async commitHint(positions: readonly RecordPosition[]): Promise<void> {
    if (!this.#running || positions.length === 0) return;
    await this.#consumer.commitOffsets(
      positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: String(p.offset) })),
    );
  }

  pause(topic: string, partitions: number[]): void {
    this.#consumer.pause([{ topic, partitions }]);
  }

  resume(topic: string, partitions: number[]): void {
    this.#consumer.resume([{ topic, partitions }]);
  }

  /**
   * Leaves the group; bounded, because a consumer stuck after a broker restart never finished its
   * disconnect and the process hung on SIGTERM until killed.
   */
  async disconnect(timeoutMs = 10_000): Promise<void> {
    this.#running = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#consumer.disconnect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new TributaryError("unavailable", `consumer disconnect took longer than ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function decodeHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): RecordHeaders {
  const out: RecordHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/** kafkajs errors → TributaryError with a retry decision. */
export function translate(err: unknown): TributaryError {
  if (err instanceof TributaryError) return err;
  const e = err as { name?: string; message?: string; retriable?: boolean };
  const message = e.message ?? String(err);
  if (
    e.name === "KafkaJSConnectionError" ||
    e.name === "KafkaJSNumberOfRetriesExceeded" ||
    /ECONNREFUSED/.test(message)
  ) {
    return new TributaryError("unavailable", `kafka unavailable: ${message}`, { canRetry: true, cause: err });
  }
  return new TributaryError("internal", `kafka: ${message}`, { canRetry: e.retriable === true, cause: err });
}

function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const child = { component: "kafkajs", ...extra };
      if (level === logLevel.ERROR) logger.error(child, message);
      else if (level === logLevel.WARN) logger.warn(child, message);
      else if (level === logLevel.INFO) logger.info(child, message);
      else logger.debug(child, message);
    };
}

/** A kafkajs protocol error the broker marks retriable (leader moving or not elected yet). */
function isRetriableProtocolError(err: unknown): boolean {
  return (
    err instanceof Error && err.name === "KafkaJSProtocolError" && (err as { retriable?: boolean }).retriable === true
  );
}
