import { Redis } from "ioredis";
import { PING_COUNTER, pingCountersKey } from "../../processors/ping-counter/index.js";
import { offsetsKey } from "../../runtime/state/redis-state-store.js";
import { FlowStack } from "./flow-stack.js";
import type { KeyedPing } from "./keyed-pings.js";
import { stackEnv } from "./stack-env.js";
import { waitUntil } from "./wait-until.js";

/** Gateway, ping counter and pings sink of one chaos test, on their own topics, namespace and database. */
export function keyedPingStack(label: string) {
  const stack = new FlowStack(label, {
    gateway: "dist/producers/gateway/main.js",
    counter: "dist/processors/ping-counter/main.js",
    sink: "dist/sinks/pings/main.js",
  });
  const redis = new Redis(stackEnv.REDIS_URL);
  const namespace = () => stack.env.STATE_NAMESPACE ?? "";
  const topicEnd = async () =>
    (await stack.platform.kafka.partitionOffsets(stack.platform.topic("pings"))).reduce((n, e) => n + e.high, 0);
  return {
    stack,
    redis,
    async setUp(extraEnv: Record<string, string> = {}) {
      // Topic creation on the shared broker can fail transiently ("does not host this
      // topic-partition" while it settles new partitions): retried a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await stack.platform.createTopics();
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }
      await stack.setUp(
        {
          PING_COUNTER_GROUP_ID: `${stack.id}-counter`,
          PING_COUNTER_FLUSH_INTERVAL_MS: "200",
          PINGS_SINK_GROUP_ID: `${stack.id}-sink`,
          PINGS_SINK_FLUSH_INTERVAL_MS: "200",
        },
        extraEnv,
      );
    },
    topicEnd,
    /** Waits until counter and sink applied the whole topic, then reads what each counted. */
    async counted(
      gatewayUrl: string,
      timeoutMs = 120_000,
    ): Promise<{ records: number; counter: number; postgres: number; pingCount: number }> {
      const end = await topicEnd();
      const counterAt = async () =>
        Object.values(await redis.hgetall(offsetsKey(namespace(), PING_COUNTER))).reduce((n, v) => n + Number(v), 0);
      const sinkAt = async () =>
        Number(
          (await stack.db().query<{ n: string }>("SELECT coalesce(sum(next_offset), 0) AS n FROM tributary_offsets"))
            .rows[0]?.n ?? 0,
        );
      await waitUntil(async () => (await counterAt()) === end && (await sinkAt()) === end, {
        timeoutMs,
        describe: async () => `counter at ${await counterAt()}, sink at ${await sinkAt()} of ${end}`,
      });
      const rows = await stack.db().query<{ n: string }>("SELECT count(*) AS n FROM pings");
      const response = await fetch(`${gatewayUrl}/ping.v1.PingService/PingCount`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const pingCount = (await response.json()) as { total?: string };
      return {
        records: end,
        counter: Number((await redis.hgetall(pingCountersKey(namespace()))).total ?? 0),
        postgres: Number(rows.rows[0]?.n ?? 0),
        pingCount: Number(pingCount.total ?? 0),
      };
    },
    async close() {
      await stack.close();
      redis.disconnect();
    },
  };
}

/** `total` keyed pings over 30 event-time minutes, each key unique to this run. */
export function keyedPings(runId: string, total: number): KeyedPing[] {
  const baseMs = 28_815_000 * 60_000;
  return Array.from({ length: total }, (_, i) => ({
    key: `${runId}-${i}`,
    timestampMs: baseMs + Math.floor(Math.random() * 30 * 60_000),
  }));
}
