import type pg from "pg";
import { FlowStack } from "./flow-stack.js";

export const POSTBACK_ENTRY = {
  gateway: "dist/producers/gateway/main.js",
  delivery: "dist/processors/postback-delivery/main.js",
} as const;
export type PostbackServiceName = keyof typeof POSTBACK_ENTRY;

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_ms: number;
  next_ms: number | null;
  status: string;
  error: string | null;
  result: string;
  response_excerpt: string | null;
}

/**
 * The postbacks flow on the local stack for one test file: its own topic prefix, consumer group
 * and database; the compiled gateway and postback-delivery spawned on demand, with the outbound
 * allow-list opening exactly 127.0.0.1 (where the tests' receivers listen).
 */
export class PostbacksStack extends FlowStack<PostbackServiceName> {
  constructor(label: string) {
    super(label, POSTBACK_ENTRY);
  }

  override setUp(extraEnv: Record<string, string> = {}): Promise<void> {
    return super.setUp(
      {
        POSTBACK_DELIVERY_GROUP_ID: `${this.id}-delivery`,
        POSTBACK_DELIVERY_SESSION_TIMEOUT_MS: "6000",
        // Short schedule for tests (the default is Svix's, hours long).
        POSTBACK_DELIVERY_RETRY_DELAYS_MS: "200,400,800,1600",
        POSTBACK_DELIVERY_REQUEST_TIMEOUT_MS: "3000",
        OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32",
      },
      extraEnv,
    );
  }

  gatewayUrl(): string {
    return this.urlOf("gateway");
  }

  /** POST /postback with a JSON body; the parsed answer. */
  async submit(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${this.gatewayUrl()}/postback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  get pool(): pg.Pool {
    return this.db();
  }

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (err) {
      // The delivery service creates the tables: before its migrations ran there is nothing yet.
      if ((err as { code?: string }).code === "42P01") return [];
      throw err;
    }
  }

  async attempts(): Promise<AttemptRow[]> {
    return this.rows<AttemptRow>(
      `SELECT delivery_id, attempt, (extract(epoch FROM started_at) * 1000)::float8 AS started_ms,
              (extract(epoch FROM next_attempt_at) * 1000)::float8 AS next_ms, status, error, result, response_excerpt
       FROM postback_attempts ORDER BY delivery_id, attempt`,
    );
  }

  async statusCounts(): Promise<Record<string, number>> {
    const rows = await this.rows<{ status: string; n: string }>(
      "SELECT status, count(*) AS n FROM postback_deliveries GROUP BY status",
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async endOffsetsSum(topic: string): Promise<number> {
    const offsets = await this.platform.kafka.partitionOffsets(this.platform.topic(topic));
    return offsets.reduce((n, o) => n + o.high, 0);
  }
}
