import type { Redis } from "ioredis";
import type { DataTopicName } from "../runtime/catalog/catalog.js";
import type { Logger } from "../runtime/observability/logger.js";
import type { AnyReplayTarget } from "../runtime/replay/replay-target.js";

/** `console`: the web console (console/): HTTP for people, reached by port-forward, no consumer group. */
export type ServiceRole = "producer" | "processor" | "sink" | "console";

/** What every service's `config.ts` exports (beside its `main.ts`). */
export interface ServiceConfigModule {
  /** Also the name of its Deployment, Service, container, PDB, log file and pid file. */
  readonly SERVICE_NAME: string;
  /** Port of the HTTP server (health, readiness, metrics, APIs) unless HTTP_PORT says otherwise. */
  readonly DEFAULT_HTTP_PORT: number;
  /** Every environment variable the service reads; a manifest may set no other. */
  readonly ENV_VARS: readonly string[];
}

/** HTTP paths the runtime serves on every service (runtime/observability/ops-routes.ts). */
export interface Probes {
  /** Start-up: the process listens (Kubernetes startupProbe; stack.sh waits on it). */
  readonly startupPath: string;
  /** Ready for traffic / consuming (readinessProbe). */
  readonly readinessPath: string;
  /** Alive (livenessProbe). */
  readonly livenessPath: string;
}

export const STANDARD_PROBES: Probes = { startupPath: "/healthz", readinessPath: "/readyz", livenessPath: "/healthz" };

/** What `tributary replay <service>` hands a replay target (cli/replay-command.ts builds it). */
export interface ReplayContext {
  redis(): Redis;
  readonly liveNamespace: string;
  readonly databaseUrl: string;
  readonly log: Logger;
  /** Consumer group of the live processor, whose stored offsets the switch replaces. */
  groupOf(processor: string): string;
}

/** Kubernetes settings of a service (k8s/services/<name>.yaml is generated from them). */
export interface DeploySettings {
  /** Comment lines at the top of the manifest: what the service does. */
  readonly summary: readonly string[];
  /** The service's own ConfigMap `<name>-config` (each key must be in ENV_VARS). */
  readonly settings: Readonly<Record<string, string>>;
  readonly replicas: number;
  /**
   * Stateless request servers: a CPU HorizontalPodAutoscaler from `replicas` up to this many
   * (k8s/autoscaling). Consumers scale on lag instead (a KEDA ScaledObject each, bounded by partitions).
   */
  readonly cpuAutoscaleMaxReplicas?: number;
  /** Seconds a pod keeps serving after removal from the Service, before SIGTERM (request-serving services). */
  readonly preStopSleepSeconds?: number;
  /**
   * V8 old-space limit in MiB (`node --max-old-space-size`), in the stack and on Kubernetes.
   * Default DEFAULT_HEAP_MIB. Without a limit V8 grows the heap lazily under load (a gateway at
   * 1–2k Pings/s reached 223–248 MiB RSS with a live heap of ≈ 30 MiB); with it, it collects
   * sooner. Services that hold state in memory by design (the timer's mirror) set more.
   */
  readonly heapMiB?: number;
}

/** Old-space limit of a service that sets no `deploy.heapMiB`. */
export const DEFAULT_HEAP_MIB = 96;

/**
 * What a service does on Kafka: its KafkaUser's ACLs (k8s/kafka/users.yaml) are generated from
 * this and nothing else, and test/k8s/kafka-access.test.ts checks it against the service's
 * main.ts. Topic names are catalog names (TOPIC_PREFIX is added by the generator's caller).
 */
export interface KafkaAccess {
  /** Topics consumed (Read, Describe); each one's dead-letter topic is written (Write, Describe). */
  readonly reads: readonly DataTopicName[];
  /** Topics produced to (Write, Describe), idempotently (acks=all). */
  readonly writes: readonly DataTopicName[];
  /** Consumer group id (the `<PREFIX>_GROUP_ID` default); required when `reads` is not empty. */
  readonly group?: string;
  /** Other services' groups whose committed offsets the service reads (Describe). */
  readonly describesGroups?: readonly string[];
  /**
   * Reads any catalog topic for people (the console's browser): Read/Describe on every catalog
   * topic, Read on groups with this prefix (its throw-away groups).
   */
  readonly browses?: { readonly groupPrefix: string };
  /** Transactional ids (prefixes) of transactional producers (Write, Describe). None yet. */
  readonly transactionalIds?: readonly string[];
}

/** How a service uses a Postgres table: read (SELECT) or write (SELECT, INSERT, UPDATE, DELETE). */
export type TableAccess = "read" | "write";

/**
 * What a service does in Postgres: its role's grants (`tributary migrate --grants`) come from this
 * and nothing else; test/integration/pg-least-privilege.test.ts checks them against the SQL in the
 * service's folder and runs services with nothing more. Tables only: DDL belongs to the owner.
 */
export interface PostgresAccess {
  /** Migration folders (relative to the repository root) whose tables this service uses, applied in order. */
  readonly migrations: readonly string[];
  readonly tables: Readonly<Record<string, TableAccess>>;
}

/** One service, declared once: the stack, k8s manifests, the CLI's replay and tests read this. */
export interface ServiceEntry<N extends string = string> {
  readonly name: N;
  /** Folder of `main.ts` and `config.ts`, relative to the repository root. */
  readonly dir: string;
  readonly role: ServiceRole;
  readonly config: ServiceConfigModule;
  readonly kafka: KafkaAccess;
  /** Set when the service connects to Postgres. */
  readonly postgres?: PostgresAccess;
  readonly probes: Probes;
  /** Set when `tributary replay <name>` can rebuild the service's state. */
  readonly replay?: (ctx: ReplayContext) => AnyReplayTarget;
  readonly deploy: DeploySettings;
}

/** A registry entry: name from the service's config.ts, standard probes unless given. */
export function defineService<C extends ServiceConfigModule>(
  entry: Omit<ServiceEntry, "name" | "config" | "probes"> & { readonly config: C; readonly probes?: Probes },
): ServiceEntry<C["SERVICE_NAME"]> {
  return { ...entry, name: entry.config.SERVICE_NAME, probes: entry.probes ?? STANDARD_PROBES };
}

/** The compiled entry point, as stack.sh, the Deployment's command and tests run it. */
export function entryPointOf(service: ServiceEntry): string {
  return `dist/${service.dir}/main.js`;
}

/** The node flags a service runs with (stack.sh, the k8s container command, benchmarks). */
export function nodeFlagsOf(service: ServiceEntry): string[] {
  return [`--max-old-space-size=${service.deploy.heapMiB ?? DEFAULT_HEAP_MIB}`];
}

/** The stack's port variable, e.g. PINGS_SINK_PORT for pings-sink (stack/env.sh, default DEFAULT_HTTP_PORT). */
export function portVariableOf(service: ServiceEntry): string {
  return `${service.name.toUpperCase().replace(/-/g, "_")}_PORT`;
}
