import { PING_COUNTER, pingCountersKey } from "../../processors/ping-counter/index.js";
import { offsetField, offsetsKey } from "../../runtime/state/redis-state-store.js";
import { createDatabase, dropDatabase } from "./databases.js";
import { PrivateRedis } from "./private-redis.js";
import { ServiceProcess } from "./service-process.js";
import { uniqueId } from "./stack-env.js";
import { TestPlatform } from "./test-platform.js";

/**
 * Gateway, ping-counter and pings-sink from dist/ on their own topics, database and a private
 * Redis (no persistence) that a store-loss test may kill -9 and restart empty.
 */
export class PingCounterStack {
  readonly services: ServiceProcess[] = [];

  private constructor(
    readonly id: string,
    readonly platform: TestPlatform,
    readonly redis: PrivateRedis,
    readonly databaseUrl: string,
  ) {}

  static async start(name: string, env: Record<string, string> = {}): Promise<PingCounterStack> {
    const id = uniqueId(name);
    const platform = new TestPlatform(`${id}.`);
    await platform.createTopics();
    const stack = new PingCounterStack(id, platform, await PrivateRedis.start(), await createDatabase(id));
    const serviceEnv = {
      TOPIC_PREFIX: `${id}.`,
      STATE_NAMESPACE: stack.namespace,
      DATABASE_URL: stack.databaseUrl,
      REDIS_URL: stack.redis.url,
      PING_COUNTER_GROUP_ID: `${id}-counter`,
      PINGS_SINK_GROUP_ID: `${id}-sink`,
      ...env,
    };
    for (const entry of [
      "dist/producers/gateway/main.js",
      "dist/processors/ping-counter/main.js",
      "dist/sinks/pings/main.js",
    ])
      stack.services.push(await ServiceProcess.start(entry, serviceEnv));
    return stack;
  }

  get namespace(): string {
    return `${this.id}:`;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.services[0]?.port}`;
  }

  get counter(): ServiceProcess | undefined {
    return this.services[1];
  }

  get pingsTopic(): string {
    return this.platform.topic("pings");
  }

  /** The counter's log so far. */
  counterOutput(): string {
    return this.counter?.output.join("") ?? "";
  }

  /** How often the counter reloaded a partition from its store (about once each after a loss). */
  partitionReloads(): number {
    return this.counterOutput().split("reloading partition state").length - 1;
  }

  async pingCount(): Promise<{ total: number; source: string }> {
    const response = await fetch(`${this.gatewayUrl}/ping.v1.PingService/PingCount`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const body = (await response.json()) as { total?: string; source?: string };
    return { total: Number(body.total ?? 0), source: body.source ?? "?" };
  }

  counters(): Promise<Record<string, string>> {
    return this.redis.client.hgetall(pingCountersKey(this.namespace));
  }

  storedOffsets(): Promise<Record<string, string>> {
    return this.redis.client.hgetall(offsetsKey(this.namespace, PING_COUNTER));
  }

  /** Why the counts are not there yet: stored offsets per partition against the log, the counter's last lines. */
  async diagnostics(): Promise<string> {
    const lines: string[] = [];
    try {
      const stored = await this.storedOffsets();
      for (const end of await this.platform.kafka.partitionOffsets(this.pingsTopic)) {
        const next = stored[offsetField(this.pingsTopic, end.partition)];
        lines.push(`partition ${end.partition}: stored next ${next ?? "none"}, log ${end.low}..${end.high}`);
      }
    } catch (err) {
      lines.push(`offsets unreadable: ${String(err)}`);
    }
    lines.push(`ping-counter running: ${this.counter?.running}; last log lines:`);
    lines.push(...this.counterOutput().trimEnd().split("\n").slice(-40));
    return lines.join("\n");
  }

  async close(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop()));
    await this.redis.close();
    await this.platform.close();
    await dropDatabase(this.id);
  }
}
