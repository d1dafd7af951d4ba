import { FlowStack } from "./flow-stack.js";
import { entryOf } from "./service-entries.js";
import type { ServiceProcess } from "./service-process.js";

/** Services a console test may start; the rest of the registry is pointed at a closed port. */
export const CONSOLE_ENTRIES = {
  gateway: entryOf("gateway"),
  "ping-counter": entryOf("ping-counter"),
  "pings-sink": entryOf("pings-sink"),
  "transaction-timer": entryOf("transaction-timer"),
  "callback-dispatcher": entryOf("callback-dispatcher"),
  "transactions-sink": entryOf("transactions-sink"),
  console: entryOf("console"),
} as const;
export type ConsoleStackService = keyof typeof CONSOLE_ENTRIES;

/** Registered services the console tests never start: shown as down (nothing listens on port 2). */
const NOT_STARTED = ["messages-sink", "notification-logger", "postback-delivery"];

export const REDRIVE_TOKEN = "console-test-token";

/** Env prefix of each processor's tuning variables (its `<PREFIX>_GROUP_ID`). */
const GROUP_PREFIX: Partial<Record<ConsoleStackService, string>> = {
  "ping-counter": "PING_COUNTER",
  "pings-sink": "PINGS_SINK",
  "transaction-timer": "TRANSACTION_TIMER",
  "callback-dispatcher": "CALLBACK_DISPATCHER",
  "transactions-sink": "TRANSACTIONS_SINK",
};

/**
 * A flow stack (own topics, namespace, database, groups) plus a console pointed at exactly its
 * services: CONSOLE_SERVICE_URLS with their ports and CONSOLE_SERVICE_GROUPS with their groups.
 */
export class ConsoleStack extends FlowStack<ConsoleStackService> {
  constructor(label: string) {
    super(label, CONSOLE_ENTRIES);
  }

  groupOf(name: ConsoleStackService): string {
    return `${this.id}-${name}`;
  }

  async setUpStack(): Promise<void> {
    const groups: Record<string, string> = {};
    for (const [name, prefix] of Object.entries(GROUP_PREFIX))
      groups[`${prefix}_GROUP_ID`] = this.groupOf(name as ConsoleStackService);
    await this.setUp({
      ...groups,
      PING_COUNTER_FLUSH_INTERVAL_MS: "200",
      PINGS_SINK_FLUSH_INTERVAL_MS: "200",
      TRANSACTIONS_SINK_FLUSH_INTERVAL_MS: "200",
      TRANSACTION_TIMER_SESSION_TIMEOUT_MS: "6000",
      CALLBACK_DISPATCHER_SESSION_TIMEOUT_MS: "6000",
      CALLBACK_DISPATCHER_RETRY_BASE_MS: "200",
      OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32",
    });
  }

  /** Starts the console last, with the URLs and groups of the services started so far. */
  async startConsole(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const urls = NOT_STARTED.map((name) => `${name}=http://127.0.0.1:2`);
    // Their own (empty) groups, not the shared stack's default ones.
    const groups = NOT_STARTED.map((name) => `${name}=${this.id}-${name}`);
    for (const name of Object.keys(CONSOLE_ENTRIES) as ConsoleStackService[]) {
      if (name === "console") continue;
      const s = this.services[name];
      urls.push(`${name}=${s === undefined ? "http://127.0.0.1:2" : `http://127.0.0.1:${s.port}`}`);
      if (GROUP_PREFIX[name] !== undefined) groups.push(`${name}=${this.groupOf(name)}`);
    }
    const console = await this.spawn("console", {
      CONSOLE_SERVICE_URLS: urls.join(","),
      CONSOLE_SERVICE_GROUPS: groups.join(","),
      CONSOLE_REDRIVE_TOKEN: REDRIVE_TOKEN,
      CONSOLE_REFRESH_INTERVAL_MS: "1000",
      ...extraEnv,
    });
    this.services.console = console;
    return console;
  }

  /** A Connect JSON call to the stack's gateway. */
  async call<T>(method: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.urlOf("gateway")}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} → ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }
}
