import type pg from "pg";
import { type MessagesClient, messagesClient } from "../../cli/messages-client.js";
import { FlowStack } from "./flow-stack.js";

export const MESSAGES_ENTRY = {
  gateway: "dist/producers/gateway/main.js",
  sink: "dist/sinks/messages/main.js",
} as const;
export type MessagesServiceName = keyof typeof MESSAGES_ENTRY;

/**
 * The messages flow on the local stack for one test file: its own topic prefix, namespace,
 * sink group and database, with the compiled gateway and messages sink spawned on demand.
 */
export class MessagesStack extends FlowStack<MessagesServiceName> {
  constructor(label: string) {
    super(label, MESSAGES_ENTRY);
  }

  override setUp(extraEnv: Record<string, string> = {}): Promise<void> {
    return super.setUp({ MESSAGES_SINK_GROUP_ID: `${this.id}-sink` }, extraEnv);
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

  url(): string {
    return this.urlOf("gateway");
  }

  client(): MessagesClient {
    return messagesClient(this.url());
  }

  pool(): pg.Pool {
    return this.db();
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
}
