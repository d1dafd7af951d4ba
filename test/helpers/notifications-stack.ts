import type pg from "pg";
import { FlowStack } from "./flow-stack.js";
import type { ServiceProcess } from "./service-process.js";

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
export class NotificationsStack extends FlowStack<keyof typeof NOTIFICATIONS_ENTRY> {
  readonly loggers: ServiceProcess[] = [];

  constructor() {
    super("notif", NOTIFICATIONS_ENTRY);
  }

  override setUp(extraEnv: Record<string, string> = {}): Promise<void> {
    // Info level: the logger's notification lines are what the tests read.
    return super.setUp({ NOTIFICATION_LOGGER_GROUP_ID: `${this.id}-logger`, LOG_LEVEL: "info" }, extraEnv);
  }

  get gateway(): ServiceProcess | undefined {
    return this.services.gateway;
  }

  async startGateway(): Promise<ServiceProcess> {
    this.services.gateway = await this.spawn("gateway", { LOG_LEVEL: "warn" });
    return this.services.gateway;
  }

  async startLogger(): Promise<ServiceProcess> {
    const logger = await this.spawn("logger");
    this.loggers.push(logger);
    return logger;
  }

  get gatewayUrl(): string {
    return this.urlOf("gateway");
  }

  pool(): pg.Pool {
    return this.db();
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
}
