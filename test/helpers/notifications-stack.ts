import pg from "pg";
import { createDatabase, dropDatabase } from "./databases.js";
import { ServiceProcess } from "./service-process.js";
import { uniqueId } from "./stack-env.js";
import { TestPlatform } from "./test-platform.js";

export const NOTIFICATIONS_ENTRY = {
  gateway: "dist/producers/gateway/main.js",
  logger: "dist/processors/notification-logger/main.js",
} as const;

/** A structured log line of the notification logger. */
export interface LoggedNotification {
  readonly notification: { id: string; description: string; timestamp: string };
  readonly partition: number;
  readonly offset: number;
  readonly traceId: string | null;
}

/**
 * The notifications flow for one test file: its own topic prefix, logger group and database,
 * a gateway and any number of notification-logger instances spawned from dist/.
 */
export class NotificationsStack {
  readonly id = uniqueId("notif");
  readonly prefix = `${this.id}.`;
  readonly platform = new TestPlatform(this.prefix);
  readonly loggers: ServiceProcess[] = [];
  gateway: ServiceProcess | undefined;
  databaseUrl = "";
  env: Record<string, string> = {};
  #pool: pg.Pool | undefined;

  async setUp(extraEnv: Record<string, string> = {}): Promise<void> {
    await this.platform.createTopics();
    this.databaseUrl = await createDatabase(this.id);
    this.env = {
      TOPIC_PREFIX: this.prefix,
      STATE_NAMESPACE: `${this.id}:`,
      DATABASE_URL: this.databaseUrl,
      NOTIFICATION_LOGGER_GROUP_ID: `${this.id}-logger`,
      LOG_LEVEL: "info",
      ...extraEnv,
    };
  }

  async startGateway(): Promise<ServiceProcess> {
    this.gateway = await ServiceProcess.start(NOTIFICATIONS_ENTRY.gateway, { ...this.env, LOG_LEVEL: "warn" });
    return this.gateway;
  }

  async startLogger(): Promise<ServiceProcess> {
    const logger = await ServiceProcess.start(NOTIFICATIONS_ENTRY.logger, this.env);
    this.loggers.push(logger);
    return logger;
  }

  get gatewayUrl(): string {
    if (this.gateway === undefined) throw new Error("gateway not started");
    return `http://127.0.0.1:${this.gateway.port}`;
  }

  pool(): pg.Pool {
    this.#pool ??= new pg.Pool({ connectionString: this.databaseUrl, max: 2 });
    return this.#pool;
  }

  /** Records on a topic of this stack (sum over partitions of end − start). */
  async topicCount(name: string): Promise<number> {
    const offsets = await this.platform.kafka.partitionOffsets(this.platform.topic(name));
    return offsets.reduce((n, o) => n + o.high - o.low, 0);
  }

  async tableCount(): Promise<number> {
    const { rows } = await this.pool().query<{ n: string }>("SELECT count(*) AS n FROM notifications");
    return Number(rows[0]?.n ?? 0);
  }

  /** Every notification line the given logger instances printed so far. */
  loggedLines(instances: readonly ServiceProcess[] = this.loggers): LoggedNotification[] {
    return instances.flatMap((p) =>
      p.output
        .join("")
        .split("\n")
        .filter((line) => line.includes('"msg":"notification"'))
        .map((line) => JSON.parse(line) as LoggedNotification),
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.gateway, ...this.loggers].map((s) => s?.stop()));
    await this.#pool?.end();
    await this.platform.close();
    if (this.databaseUrl !== "") await dropDatabase(this.id);
  }
}
