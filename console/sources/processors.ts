import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { physicalTopic } from "../../runtime/catalog/topic-names.js";
import type { GroupState, KafkaAdapter } from "../../runtime/kafka/kafka-adapter.js";
import { offsetField, offsetsKey } from "../../runtime/state/redis-state-store.js";
import { type Reading, readSafely } from "../reading.js";
import type { ServiceView } from "../service-directory.js";
import type { HealthBadge } from "./health.js";
import type { TopicState } from "./topics.js";

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly endOffset: number;
  /** Next offset the processor stored with its state; null when it has stored none yet. */
  readonly storedOffset: number | null;
  /** end − stored (end − log start when nothing is stored). */
  readonly lag: number;
  /** Client id@host of the group member that owns the partition now, if any. */
  readonly owner: string | null;
}

export interface ProcessorState {
  readonly name: string;
  readonly role: string;
  readonly group: string;
  readonly health: HealthBadge;
  /** Where its offsets live: the Dragonfly hash or Postgres tributary_offsets. */
  readonly store: Reading<"dragonfly" | "postgres" | "none">;
  readonly members: Reading<GroupState["members"]>;
  readonly partitions: readonly PartitionLag[];
  readonly totalLag: number;
}

export interface ServiceHealth {
  readonly name: string;
  readonly role: string;
  readonly health: HealthBadge;
}

interface Stores {
  readonly kafka: KafkaAdapter;
  readonly redis: Redis;
  readonly pool: Pool;
  readonly prefix: string;
  readonly namespace: string;
}

/**
 * Every consuming service with its group members and the lag of each partition it reads,
 * computed from the offsets it stores with its state (the truth for exactly-once processors,
 * not Kafka's group offsets, which are only a start hint).
 */
export async function readProcessors(
  stores: Stores,
  services: readonly ServiceView[],
  topics: readonly TopicState[],
  healthOf: ReadonlyMap<string, HealthBadge>,
): Promise<{ processors: ProcessorState[]; others: ServiceHealth[] }> {
  const consumers = services.filter((s) => s.group !== undefined && s.reads.length > 0);
  const groups = consumers.map((s) => s.group ?? "");
  const [described, pgOffsets] = await Promise.all([
    readSafely(() => stores.kafka.describeGroups(groups), 3_000),
    readSafely(async () => {
      const { rows } = await stores.pool.query<{
        consumer: string;
        topic: string;
        partition: number;
        next_offset: string;
      }>("SELECT consumer, topic, partition, next_offset FROM tributary_offsets WHERE consumer = ANY($1)", [groups]);
      return rows;
    }, 3_000),
  ]);
  const processors = await Promise.all(
    consumers.map(async (service): Promise<ProcessorState> => {
      const group = service.group ?? "";
      const redisOffsets = await readSafely(
        () => stores.redis.hgetall(offsetsKey(stores.namespace, service.name)),
        2_000,
      );
      const stored = new Map<string, number>();
      let store: Reading<"dragonfly" | "postgres" | "none">;
      if (redisOffsets.ok && Object.keys(redisOffsets.value).length > 0) {
        for (const [field, value] of Object.entries(redisOffsets.value)) stored.set(field, Number(value));
        store = { ok: true, value: "dragonfly", atMs: redisOffsets.atMs };
      } else if (pgOffsets.ok) {
        for (const row of pgOffsets.value.filter((r) => r.consumer === group))
          stored.set(offsetField(row.topic, row.partition), Number(row.next_offset));
        const any = stored.size > 0;
        store = { ok: true, value: any ? "postgres" : "none", atMs: pgOffsets.atMs };
        if (!any && !redisOffsets.ok)
          store = { ok: false, error: `dragonfly: ${redisOffsets.error}`, atMs: redisOffsets.atMs };
      } else {
        store = redisOffsets.ok
          ? { ok: false, error: `postgres: ${pgOffsets.error}`, atMs: pgOffsets.atMs }
          : {
              ok: false,
              error: `dragonfly: ${redisOffsets.error}; postgres: ${pgOffsets.error}`,
              atMs: pgOffsets.atMs,
            };
      }
      const groupState = described.ok ? described.value.find((g) => g.groupId === group) : undefined;
      const members: Reading<GroupState["members"]> = described.ok
        ? { ok: true, value: groupState?.members ?? [], atMs: described.atMs }
        : { ok: false, error: described.error, atMs: described.atMs };
      const ownerOf = new Map<string, string>();
      for (const m of groupState?.members ?? [])
        for (const a of m.assignments)
          for (const p of a.partitions)
            ownerOf.set(offsetField(a.topic, p), `${m.clientId}@${m.clientHost.replace(/^\//, "")}`);
      const partitions: PartitionLag[] = [];
      for (const name of service.reads) {
        const physical = physicalTopic(stores.prefix, name);
        const topic = topics.find((t) => t.physical === physical);
        if (topic === undefined || !topic.offsets.ok) continue;
        for (const o of topic.offsets.value) {
          const field = offsetField(physical, o.partition);
          const next = stored.get(field);
          partitions.push({
            topic: name,
            partition: o.partition,
            endOffset: o.high,
            storedOffset: next ?? null,
            lag: Math.max(0, o.high - (next ?? o.low)),
            owner: ownerOf.get(field) ?? null,
          });
        }
      }
      return {
        name: service.name,
        role: service.role,
        group,
        health: healthOf.get(service.name) ?? { ok: false, detail: "not probed" },
        store,
        members,
        partitions,
        totalLag: partitions.reduce((n, p) => n + p.lag, 0),
      };
    }),
  );
  const others = services
    .filter((s) => !consumers.includes(s))
    .map((s) => ({ name: s.name, role: s.role, health: healthOf.get(s.name) ?? { ok: false, detail: "not probed" } }));
  return { processors, others };
}
