import pg from "pg";
import { type MessagesClient, messagesClient } from "../../cli/messages-client.js";
import { createDatabase, dropDatabase } from "./databases.js";
import { ServiceProcess } from "./service-process.js";
import { uniqueId } from "./stack-env.js";
import { TestPlatform } from "./test-platform.js";

export const MESSAGES_ENTRY = {
  gateway: "dist/producers/gateway/main.js",
  sink: "dist/sinks/messages/main.js",
} as const;
export type MessagesServiceName = keyof typeof MESSAGES_ENTRY;

/**
 * The messages flow on the local stack for one test file: its own topic prefix, namespace,
 * sink group and database, with the compiled gateway and messages sink spawned on demand.
 */
export class MessagesStack {
  readonly id: string;
  readonly prefix: string;
  readonly platform: TestPlatform;
  readonly services: Partial<Record<MessagesServiceName, ServiceProcess>> = {};
  databaseUrl = "";
  env: Record<string, string> = {};
  #pool: pg.Pool | undefined;

  constructor(label: string) {
    this.id = uniqueId(label);
    this.prefix = `${this.id}.`;
    this.platform = new TestPlatform(this.prefix);
  }

  async setUp(extraEnv: Record<string, string> = {}): Promise<void> {
    await this.platform.createTopics();
    this.databaseUrl = await createDatabase(this.id);
    this.env = {
      TOPIC_PREFIX: this.prefix,
      STATE_NAMESPACE: `${this.id}:`,
      DATABASE_URL: this.databaseUrl,
      MESSAGES_SINK_GROUP_ID: `${this.id}-sink`,
      LOG_LEVEL: "warn",
      ...extraEnv,
    };
  }

  async start(...names: MessagesServiceName[]): Promise<void> {
    // The sink first: it applies the migrations the gateway's reads need.
    for (const name of names) this.services[name] = await ServiceProcess.start(MESSAGES_ENTRY[name], this.env);
  }

  /** Waits until the sink has stored every offset of the topic (a cold sink's first commits are slow). */
  async waitCaughtUp(timeoutMs = 60_000): Promise<void> {
    const topic = this.platform.topic("messages");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ends = await this.platform.kafka.partitionOffsets(topic);
      const stored = await this.pool().query<{ partition: number; next_offset: string }>(
        "SELECT partition, next_offset FROM tributary_offsets WHERE consumer = $1 AND topic = $2",
        [this.env.MESSAGES_SINK_GROUP_ID, topic],
      );
      const at = new Map(stored.rows.map((r) => [r.partition, Number(r.next_offset)]));
      const behind = ends.filter((e) => e.high > (at.get(e.partition) ?? 0));
      if (behind.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`sink behind on ${JSON.stringify(behind)} / ${JSON.stringify([...at])}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One event per partition (roughly) and wait until applied: the sink is past its cold start. */
  async warmUp(): Promise<void> {
    const client = this.client();
    await client.putBatch({
      msgs: Array.from({ length: 24 }, (_, i) => ({
        id: `warm-up-${i}`,
        source: "warm-up",
        specVersion: "1.0",
        type: "warm-up",
      })),
    });
    await this.waitCaughtUp();
    await client.deleteBatch({ ids: Array.from({ length: 24 }, (_, i) => `warm-up-${i}`) });
    await this.waitCaughtUp();
  }

  service(name: MessagesServiceName): ServiceProcess {
    const s = this.services[name];
    if (s === undefined) throw new Error(`${name} not started`);
    return s;
  }

  url(): string {
    return `http://127.0.0.1:${this.service("gateway").port}`;
  }

  client(): MessagesClient {
    return messagesClient(this.url());
  }

  pool(): pg.Pool {
    this.#pool ??= new pg.Pool({ connectionString: this.databaseUrl, max: 4 });
    return this.#pool;
  }

  async storedIds(): Promise<string[]> {
    return (await this.pool().query<{ id: string }>("SELECT id FROM messages ORDER BY id")).rows.map((r) => r.id);
  }

  /** Digest of every column of every row: equal digests mean identical tables. */
  async digest(): Promise<{ rows: number; md5: string }> {
    const result = await this.pool().query<{ rows: string; md5: string }>(
      `SELECT count(*) AS rows, coalesce(md5(string_agg(
         concat_ws('|', id, source, type, time, put_at, aged_at, kafka_partition, md5(event)), ',' ORDER BY id)), '') AS md5
       FROM messages`,
    );
    const row = result.rows[0];
    return { rows: Number(row?.rows ?? 0), md5: row?.md5 ?? "" };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.services).map((s) => s?.stop()));
    await this.#pool?.end();
    await this.platform.close();
    if (this.databaseUrl !== "") await dropDatabase(this.id);
  }
}
