import * as consoleService from "../console/config.js";
import * as callbackDispatcher from "../processors/callback-dispatcher/config.js";
import * as notificationLogger from "../processors/notification-logger/config.js";
import { notificationLoggerReplayTarget } from "../processors/notification-logger/index.js";
import * as pingCounter from "../processors/ping-counter/config.js";
import { pingCounterReplayTarget } from "../processors/ping-counter/index.js";
import * as postbackDelivery from "../processors/postback-delivery/config.js";
import * as transactionTimer from "../processors/transaction-timer/config.js";
import * as gateway from "../producers/gateway/config.js";
import * as messagesSink from "../sinks/messages/config.js";
import { messagesReplayTarget } from "../sinks/messages/index.js";
import * as pingsSink from "../sinks/pings/config.js";
import { pingsSinkReplayTarget } from "../sinks/pings/index.js";
import * as transactionsSink from "../sinks/transactions/config.js";
import { defineService, type ServiceEntry } from "./service-entry.js";

/** Migration folders of the runtime: the offsets every Postgres processor stores, and API keys. */
const OFFSETS_MIGRATIONS = "runtime/state/migrations";
const AUTH_MIGRATIONS = "runtime/auth/migrations";

/**
 * Every Tributary service, declared once. stack/stack.sh and stack/env.sh (through the generated
 * stack/services.tsv), the Kubernetes manifests (generated k8s/services/*.yaml), `tributary
 * replay` and the test helpers read this list. Name, default port and env vars come from the
 * service's config.ts; to add a service, add one entry and run `npm run generate:registry`.
 * Order is start order (stack.sh stops in reverse).
 */
export const serviceRegistry = [
  // Before the gateway: it creates the messages tables the gateway's GetBatch reads.
  defineService({
    dir: "sinks/messages",
    role: "sink",
    config: messagesSink,
    kafka: { reads: ["messages"], writes: ["messages"], group: messagesSink.SERVICE_NAME },
    postgres: {
      migrations: [OFFSETS_MIGRATIONS, "sinks/messages/migrations"],
      tables: { tributary_offsets: "write", messages: "write", messages_cleans: "write" },
    },
    replay: (ctx) =>
      messagesReplayTarget({
        databaseUrl: ctx.databaseUrl,
        consumer: ctx.groupOf(messagesSink.SERVICE_NAME),
        log: ctx.log,
      }),
    deploy: {
      summary: [
        "The messages sink: messages (put/delete/clean commands) -> Postgres table messages, offsets in",
        "the same transaction; the gateway's GetBatch reads it after waiting for the produced offsets.",
      ],
      settings: {
        MESSAGES_SINK_FLUSH_RECORDS: "2000",
        MESSAGES_SINK_FLUSH_INTERVAL_MS: "250",
        MESSAGES_RETENTION: "168h",
        MESSAGES_CLEAN_INTERVAL_MS: "3600000",
      },
      replicas: 2,
    },
  }),
  defineService({
    dir: "producers/gateway",
    role: "producer",
    config: gateway,
    kafka: {
      reads: [],
      writes: ["pings", "transactions", "notifications", "messages", "postbacks"],
      // GetBatch waits until messages-sink has committed past the produced offsets.
      describesGroups: [messagesSink.SERVICE_NAME],
    },
    postgres: {
      // PingCount's fallback (pings), GetBatch (messages, messages_cleans, the sink's offsets), API keys.
      migrations: [OFFSETS_MIGRATIONS, AUTH_MIGRATIONS, "sinks/messages/migrations", "sinks/pings/migrations"],
      tables: {
        tributary_api_keys: "read",
        pings: "read",
        messages: "read",
        messages_cleans: "read",
        tributary_offsets: "read",
      },
    },
    deploy: {
      summary: [
        "The gateway: Connect, gRPC and gRPC-Web on one port (8080), writing accepted calls to Kafka.",
        "PingCount reads Dragonfly and falls back to Postgres. skaffold port-forwards it to localhost:8080.",
      ],
      settings: {
        PING_MAX_FUTURE_MS: "86400000",
        PING_COUNT_MAX_MINUTES: "44640",
        REDIS_COMMAND_TIMEOUT_MS: "300",
        // Every door asks for an API key on Kubernetes (the local stack defaults to off).
        AUTH_MODE: "required",
        AUTH_KEY_CACHE_TTL_MS: "5000",
      },
      replicas: 2,
      cpuAutoscaleMaxReplicas: 6,
      preStopSleepSeconds: 5,
    },
  }),
  defineService({
    dir: "processors/ping-counter",
    role: "processor",
    config: pingCounter,
    kafka: { reads: ["pings"], writes: [], group: pingCounter.SERVICE_NAME },
    replay: (ctx) => pingCounterReplayTarget({ redis: ctx.redis(), liveNamespace: ctx.liveNamespace }),
    deploy: {
      summary: [
        "The ping counter: pings -> Dragonfly hash ping:counters, offsets stored with the counts.",
        "Scale with `kubectl -n tributary scale deployment ping-counter --replicas=N` (N <= 6 partitions).",
      ],
      settings: { PING_COUNTER_FLUSH_RECORDS: "1000", PING_COUNTER_FLUSH_INTERVAL_MS: "1000" },
      replicas: 2,
    },
  }),
  defineService({
    dir: "sinks/pings",
    role: "sink",
    config: pingsSink,
    kafka: { reads: ["pings"], writes: [], group: pingsSink.SERVICE_NAME },
    postgres: {
      migrations: [OFFSETS_MIGRATIONS, "sinks/pings/migrations"],
      tables: { tributary_offsets: "write", pings: "write" },
    },
    replay: (ctx) =>
      pingsSinkReplayTarget({
        databaseUrl: ctx.databaseUrl,
        consumer: ctx.groupOf(pingsSink.SERVICE_NAME),
        log: ctx.log,
      }),
    deploy: {
      summary: ["The pings sink: pings -> Postgres table pings, offsets in the same transaction as the rows."],
      settings: { PINGS_SINK_FLUSH_RECORDS: "1000", PINGS_SINK_FLUSH_INTERVAL_MS: "1000" },
      replicas: 2,
    },
  }),
  defineService({
    dir: "processors/transaction-timer",
    role: "processor",
    config: transactionTimer,
    kafka: { reads: ["transactions"], writes: ["transactions.timeouts"], group: transactionTimer.SERVICE_NAME },
    deploy: {
      summary: [
        "The transaction timer: transactions -> pending timers in Dragonfly (offsets and watermarks",
        "committed with them); fires TransactionTimedOut records on event time.",
        "Scale with `kubectl -n tributary scale deployment transaction-timer --replicas=N` (N <= 6 partitions).",
      ],
      settings: {
        TRANSACTION_TIMER_FLUSH_INTERVAL_MS: "200",
        TRANSACTION_TIMER_ALLOWED_LATENESS_MS: "500",
        TRANSACTION_TIMER_TICK_INTERVAL_MS: "200",
      },
      replicas: 2,
      // The pending mirror is in memory by design (1M pending: see BENCHMARKS.md, timer state at scale).
      heapMiB: 768,
    },
  }),
  defineService({
    dir: "processors/callback-dispatcher",
    role: "processor",
    config: callbackDispatcher,
    kafka: { reads: ["transactions.timeouts"], writes: [], group: callbackDispatcher.SERVICE_NAME },
    postgres: {
      migrations: [OFFSETS_MIGRATIONS, "processors/callback-dispatcher/migrations"],
      tables: { tributary_offsets: "write", transaction_callbacks: "write", transaction_callback_attempts: "write" },
    },
    deploy: {
      summary: [
        "The callback dispatcher: transactions.timeouts -> webhook or Connect CallbackService calls with",
        "retries; outcomes and offsets in one Postgres transaction.",
      ],
      settings: {
        CALLBACK_DISPATCHER_MAX_ATTEMPTS: "8",
        CALLBACK_DISPATCHER_RETRY_BASE_MS: "1000",
        CALLBACK_DISPATCHER_RETRY_MAX_DELAY_MS: "60000",
        CALLBACK_DISPATCHER_REQUEST_TIMEOUT_MS: "5000",
      },
      replicas: 2,
    },
  }),
  defineService({
    dir: "sinks/transactions",
    role: "sink",
    config: transactionsSink,
    kafka: { reads: ["transactions"], writes: [], group: transactionsSink.SERVICE_NAME },
    postgres: {
      // The outcomes view joins the dispatcher's ledger, so its migrations come first.
      migrations: [OFFSETS_MIGRATIONS, "processors/callback-dispatcher/migrations", "sinks/transactions/migrations"],
      tables: { tributary_offsets: "write", transactions: "write", transaction_stray_stops: "write" },
    },
    deploy: {
      summary: [
        "The transactions sink: transactions -> Postgres (starts, stops, outcomes), offsets in the same",
        "SQL transaction.",
      ],
      settings: { TRANSACTIONS_SINK_FLUSH_RECORDS: "1000", TRANSACTIONS_SINK_FLUSH_INTERVAL_MS: "1000" },
      replicas: 2,
    },
  }),
  defineService({
    dir: "processors/notification-logger",
    role: "processor",
    config: notificationLogger,
    kafka: { reads: ["notifications"], writes: [], group: notificationLogger.SERVICE_NAME },
    postgres: {
      migrations: [OFFSETS_MIGRATIONS, "processors/notification-logger/migrations"],
      tables: { tributary_offsets: "write", notifications: "write" },
    },
    replay: (ctx) =>
      notificationLoggerReplayTarget({
        databaseUrl: ctx.databaseUrl,
        consumer: ctx.groupOf(notificationLogger.SERVICE_NAME),
        log: ctx.log,
      }),
    deploy: {
      summary: [
        "The notification logger: notifications -> one JSON log line per record and the Postgres table",
        "notifications (exactly once, offsets in the same transaction).",
      ],
      settings: { NOTIFICATION_LOGGER_FLUSH_RECORDS: "1000", NOTIFICATION_LOGGER_FLUSH_INTERVAL_MS: "200" },
      replicas: 2,
    },
  }),
  defineService({
    dir: "processors/postback-delivery",
    role: "processor",
    config: postbackDelivery,
    kafka: { reads: ["postbacks"], writes: [], group: postbackDelivery.SERVICE_NAME },
    postgres: {
      migrations: [OFFSETS_MIGRATIONS, "processors/postback-delivery/migrations"],
      tables: { tributary_offsets: "write", postback_deliveries: "write", postback_attempts: "write" },
    },
    deploy: {
      summary: [
        "The postback delivery: postbacks -> HTTP calls to third parties through the outbound guard, with",
        "durable retries (Svix-like schedule), per-host fairness and a per-attempt log in Postgres.",
      ],
      settings: { POSTBACK_DELIVERY_REQUEST_TIMEOUT_MS: "15000", POSTBACK_DELIVERY_EXCERPT_BYTES: "1024" },
      replicas: 2,
      // The retry backlog waits in memory (bounded by POSTBACK_DELIVERY_MAX_IN_FLIGHT; BENCHMARKS.md, postbacks).
      heapMiB: 512,
    },
  }),
  // Last: it reads every other service (their /readyz, offsets, tables), so it starts after them.
  defineService({
    dir: "console",
    // Reads topics with throw-away groups (console/topic-reader.ts, prefix tributary-console-) and
    // writes only when redriving a dead letter.
    role: "console",
    config: consoleService,
    kafka: {
      reads: [],
      writes: ["pings", "transactions", "transactions.timeouts", "postbacks", "notifications", "messages"],
      // Must equal CONSOLE_GROUP_PREFIX (console/topic-reader.ts); test/k8s/kafka-access.test.ts checks it.
      browses: { groupPrefix: "tributary-console-" },
      // Lag and members per processor (the Overview page).
      describesGroups: [
        messagesSink.SERVICE_NAME,
        pingCounter.SERVICE_NAME,
        pingsSink.SERVICE_NAME,
        transactionTimer.SERVICE_NAME,
        callbackDispatcher.SERVICE_NAME,
        transactionsSink.SERVICE_NAME,
        notificationLogger.SERVICE_NAME,
        postbackDelivery.SERVICE_NAME,
      ],
    },
    postgres: {
      migrations: [
        OFFSETS_MIGRATIONS,
        "processors/callback-dispatcher/migrations",
        "sinks/transactions/migrations",
        "processors/postback-delivery/migrations",
      ],
      tables: {
        tributary_offsets: "read",
        transactions: "read",
        transaction_outcomes: "read",
        transaction_callbacks: "read",
        transaction_callback_attempts: "read",
        postback_deliveries: "read",
        postback_attempts: "read",
      },
    },
    deploy: {
      summary: [
        "The console: live web pages for topics, lag (from the processors' stored offsets), counts,",
        "transactions, deliveries and schemas; read-only except the DLQ redrive (CONSOLE_REDRIVE_TOKEN).",
      ],
      settings: {
        CONSOLE_REFRESH_INTERVAL_MS: "1000",
        CONSOLE_SERVICE_URL_TEMPLATE: "http://{name}:{port}",
      },
      replicas: 2,
    },
  }),
] as const satisfies readonly ServiceEntry[];

export type ServiceName = (typeof serviceRegistry)[number]["name"];

/** The registry entry of a service (a misspelled name does not compile). */
export function serviceEntry(name: ServiceName): ServiceEntry {
  const entry = serviceRegistry.find((s) => s.name === name);
  if (entry === undefined) throw new Error(`service "${name}" is not in services/registry.ts`);
  return entry;
}

/** Services `tributary replay <name>` can rebuild. */
export function replayableServices(): (ServiceEntry & Required<Pick<ServiceEntry, "replay">>)[] {
  return serviceRegistry.filter((s): s is typeof s & Required<Pick<ServiceEntry, "replay">> => s.replay !== undefined);
}

/**
 * Folders with a `main.ts` that are deliberately not services (tools run by hand), each with the
 * reason. Any other `main.ts` under producers/, processors/ or sinks/ must be in the registry.
 */
export const notServices: readonly { readonly dir: string; readonly reason: string }[] = [];
