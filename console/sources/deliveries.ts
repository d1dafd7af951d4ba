import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { physicalTopic } from "../../runtime/catalog/topic-names.js";
import { errorMessage } from "../../runtime/errors.js";
import type { KafkaAdapter } from "../../runtime/kafka/kafka-adapter.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { type Reading, readSafely } from "../reading.js";
import { type RecordView, recordView } from "../record-view.js";
import { type RedriveMark, redriveMarks } from "../redrive-record.js";
import type { ServiceView } from "../service-directory.js";
import { readRange } from "../topic-reader.js";

export interface Attempt {
  readonly kind: "callback" | "postback";
  readonly id: string;
  readonly attempt: number;
  readonly target: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: string;
  readonly error: string | null;
  readonly result: string;
  readonly nextAttemptAt: string | null;
}

export interface Retry {
  readonly kind: "callback" | "postback";
  readonly id: string;
  readonly target: string;
  readonly attempts: number;
  readonly lastStatus: string | null;
  readonly nextAttemptAt: string | null;
}

export interface DeadLetterView extends RecordView {
  readonly redriven: RedriveMark | null;
}

export interface DeadLetterQueue {
  readonly topic: string;
  readonly size: number;
  readonly records: readonly DeadLetterView[];
}

export interface DeliveriesState {
  readonly callbackAttempts: Reading<readonly Attempt[]>;
  readonly postbackAttempts: Reading<readonly Attempt[]>;
  readonly retries: Reading<readonly Retry[]>;
  /** Open circuit breakers: the services' gauge, and hosts refused with circuit_open in the last minute. */
  readonly circuits: Reading<{
    gauges: { service: string; open: number | null; error?: string }[];
    hosts: { host: string; refused: number }[];
  }>;
  readonly deadLetters: readonly Reading<DeadLetterQueue>[];
}

/** DLQs of the delivery flows, shown with their newest records. */
export const DELIVERY_DLQS = ["transactions.timeouts.dlq", "postbacks.dlq"] as const;
const DLQ_RECORDS_SHOWN = 50;
const ATTEMPTS_SHOWN = 30;

function hostOf(target: string): string {
  try {
    return new URL(target).host;
  } catch {
    return target;
  }
}

/** Reads DLQs only when they grew (or a redrive happened): a page open for hours re-reads nothing. */
export class DeadLetterCache {
  readonly #byTopic = new Map<string, { end: number; marks: number; queue: DeadLetterQueue }>();

  constructor(
    readonly kafka: KafkaAdapter,
    readonly codec: TopicCodec,
    readonly redis: Redis,
    readonly prefix: string,
    readonly namespace: string,
  ) {}

  async read(topic: string): Promise<DeadLetterQueue> {
    const physical = physicalTopic(this.prefix, topic);
    const offsets = await this.kafka.partitionOffsets(physical);
    const end = offsets.reduce((n, o) => n + o.high, 0);
    const marks = await redriveMarks(this.redis, this.namespace, physical);
    const cached = this.#byTopic.get(topic);
    if (cached !== undefined && cached.end === end && cached.marks === marks.size) return cached.queue;
    const ranges = new Map(
      offsets.map((o) => [o.partition, { start: Math.max(o.low, o.high - DLQ_RECORDS_SHOWN), end: o.high }]),
    );
    const raw = await readRange(this.kafka, physical, ranges);
    const views = await Promise.all(raw.map((r) => recordView(this.codec, this.prefix, topic, r)));
    views.sort((a, b) => b.timestampMs - a.timestampMs || b.offset - a.offset);
    const queue: DeadLetterQueue = {
      topic,
      size: offsets.reduce((n, o) => n + o.high - o.low, 0),
      records: views
        .slice(0, DLQ_RECORDS_SHOWN)
        .map((v) => ({ ...v, redriven: marks.get(`${v.partition}:${v.offset}`) ?? null })),
    };
    this.#byTopic.set(topic, { end, marks: marks.size, queue });
    return queue;
  }
}

async function openCircuitsOf(service: ServiceView): Promise<number | null> {
  const response = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(1_000) }).catch(
    (err: unknown) => {
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(`${service.url}/metrics: ${errorMessage(cause ?? err)}`);
    },
  );
  const text = await response.text();
  const lines = text.split("\n").filter((l) => l.startsWith("tributary_outbound_open_circuits"));
  if (lines.length === 0) return null;
  return lines.reduce((n, l) => n + Number(l.split(" ").at(-1) ?? 0), 0);
}

export async function readDeliveries(
  pool: Pool,
  services: readonly ServiceView[],
  dlqs: DeadLetterCache,
): Promise<DeliveriesState> {
  const delivering = services.filter((s) => s.name === "callback-dispatcher" || s.name === "postback-delivery");
  const [callbackAttempts, postbackAttempts, retries, circuits, ...deadLetters] = await Promise.all([
    readSafely(async () => {
      const { rows } = await pool.query<{
        idempotency_key: string;
        attempt: number;
        callback_target: string;
        started_at: Date;
        duration_ms: number;
        status: string;
        error: string | null;
        result: string;
        next_attempt_at: Date | null;
      }>(
        `SELECT a.idempotency_key, a.attempt, c.callback_target, a.started_at, a.duration_ms, a.status, a.error,
                a.result, a.next_attempt_at
         FROM transaction_callback_attempts a JOIN transaction_callbacks c USING (idempotency_key)
         ORDER BY a.started_at DESC LIMIT ${ATTEMPTS_SHOWN}`,
      );
      return rows.map(
        (r): Attempt => ({
          kind: "callback",
          id: r.idempotency_key,
          attempt: r.attempt,
          target: r.callback_target,
          startedAt: r.started_at.toISOString(),
          durationMs: r.duration_ms,
          status: r.status,
          error: r.error,
          result: r.result,
          nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
        }),
      );
    }),
    readSafely(async () => {
      const { rows } = await pool.query<{
        delivery_id: string;
        attempt: number;
        url: string;
        started_at: Date;
        duration_ms: number;
        status: string;
        error: string | null;
        result: string;
        next_attempt_at: Date | null;
      }>(
        `SELECT a.delivery_id, a.attempt, d.url, a.started_at, a.duration_ms, a.status, a.error, a.result,
                a.next_attempt_at
         FROM postback_attempts a JOIN postback_deliveries d USING (delivery_id)
         ORDER BY a.started_at DESC LIMIT ${ATTEMPTS_SHOWN}`,
      );
      return rows.map(
        (r): Attempt => ({
          kind: "postback",
          id: r.delivery_id,
          attempt: r.attempt,
          target: r.url,
          startedAt: r.started_at.toISOString(),
          durationMs: r.duration_ms,
          status: r.status,
          error: r.error,
          result: r.result,
          nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
        }),
      );
    }),
    readSafely(async () => {
      const callbacks = await pool
        .query<{ id: string; target: string; attempts: number; last_status: string | null; next_at: Date | null }>(
          `SELECT c.idempotency_key AS id, c.callback_target AS target, c.attempts, c.last_status,
                  (SELECT max(next_attempt_at) FROM transaction_callback_attempts a
                    WHERE a.idempotency_key = c.idempotency_key) AS next_at
           FROM transaction_callbacks c WHERE c.status = 'delivering' ORDER BY c.fired_at_ms LIMIT 50`,
        )
        .then((r) => r.rows.map((x) => ({ kind: "callback" as const, ...x })))
        .catch(() => []);
      const postbacks = await pool
        .query<{ id: string; target: string; attempts: number; last_status: string | null; next_at: Date | null }>(
          `SELECT delivery_id AS id, url AS target, attempts, last_status, next_attempt_at AS next_at
           FROM postback_deliveries WHERE status = 'delivering' ORDER BY next_attempt_at NULLS FIRST LIMIT 50`,
        )
        .then((r) => r.rows.map((x) => ({ kind: "postback" as const, ...x })))
        .catch(() => []);
      return [...callbacks, ...postbacks].map(
        (r): Retry => ({
          kind: r.kind,
          id: r.id,
          target: r.target,
          attempts: r.attempts,
          lastStatus: r.last_status,
          nextAttemptAt: r.next_at?.toISOString() ?? null,
        }),
      );
    }),
    readSafely(async () => {
      const gauges = await Promise.all(
        delivering.map(async (s) => {
          const open = await readSafely(() => openCircuitsOf(s), 1_500);
          return open.ok ? { service: s.name, open: open.value } : { service: s.name, open: null, error: open.error };
        }),
      );
      const refused = await pool
        .query<{ target: string; n: string }>(
          `SELECT d.url AS target, count(*) AS n FROM postback_attempts a JOIN postback_deliveries d USING (delivery_id)
            WHERE a.status = 'circuit_open' AND a.started_at > now() - interval '1 minute' GROUP BY d.url
           UNION ALL
           SELECT c.callback_target, count(*) FROM transaction_callback_attempts a
             JOIN transaction_callbacks c USING (idempotency_key)
            WHERE a.status = 'circuit_open' AND a.started_at > now() - interval '1 minute' GROUP BY c.callback_target`,
        )
        .then((r) => r.rows)
        .catch(() => []);
      const hosts = new Map<string, number>();
      for (const r of refused) hosts.set(hostOf(r.target), (hosts.get(hostOf(r.target)) ?? 0) + Number(r.n));
      return { gauges, hosts: [...hosts].map(([host, n]) => ({ host, refused: n })) };
    }),
    ...DELIVERY_DLQS.map((topic) => readSafely(() => dlqs.read(topic), 12_000)),
  ]);
  return {
    callbackAttempts,
    postbackAttempts,
    retries,
    circuits,
    deadLetters,
  } as DeliveriesState;
}
