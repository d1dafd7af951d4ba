import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Registry } from "prom-client";
import { type TopicName, topicCatalog, topicSpec } from "./catalog/catalog.js";
import { physicalTopic } from "./catalog/topic-names.js";
import type { TopicSpec } from "./catalog/topic-spec.js";
import { EnvReader } from "./config/env-reader.js";
import { type PlatformConfig, readPlatformConfig } from "./config/platform-config.js";
import { KafkaAdapter, type TopicDeclaration } from "./kafka/kafka-adapter.js";
import { installShutdown, type Shutdown } from "./lifecycle/shutdown.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { createMetricsRegistry } from "./observability/metrics.js";
import type { ComponentCheck } from "./observability/readiness.js";
import { startTracing, type Tracing } from "./observability/tracing.js";
import { readTracingConfig } from "./observability/tracing-config.js";
import { SchemaRegistryClient } from "./serde/schema-registry-client.js";
import { TopicCodec } from "./serde/topic-codec.js";
import { waitForRegistry } from "./serde/wait-for-registry.js";

/** What every Tributary process gets: config, logs, metrics, Kafka, serde, shutdown. */
export interface Platform {
  readonly config: PlatformConfig;
  readonly env: EnvReader;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly kafka: KafkaAdapter;
  readonly registry: SchemaRegistryClient;
  readonly codec: TopicCodec;
  readonly shutdown: Shutdown;
  /** OpenTelemetry spans (off unless OTEL_TRACES_EXPORTER is set; see README "Tracing"). */
  readonly tracing: Tracing;
  /**
   * Dependencies /readyz reports, by name (`postgres`, `redis`): usePostgres and useRedis add
   * theirs; the broker is always checked.
   */
  readonly readiness: Map<string, ComponentCheck>;
  /** Physical name (with TOPIC_PREFIX) of a catalog topic (a misspelled name does not compile). */
  topic(name: TopicName): string;
}

export function topicDeclaration(prefix: string, spec: TopicSpec): TopicDeclaration {
  return {
    name: physicalTopic(prefix, spec.name),
    partitions: spec.partitions,
    configs: { "retention.ms": String(spec.retentionMs), "cleanup.policy": spec.cleanupPolicy },
  };
}

/**
 * Builds the platform from the environment. Fails fast, naming the variable, on bad config.
 * `topics` are the catalog topics this process uses: created if missing, schemas registered.
 */
export async function startPlatform(options: {
  serviceName: string;
  defaultHttpPort: number;
  topics: readonly TopicName[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides the configured span exporter (tests pass an InMemorySpanExporter). */
  spanExporter?: SpanExporter;
}): Promise<Platform> {
  const env = new EnvReader(options.env ?? process.env);
  const config = readPlatformConfig(env, { serviceName: options.serviceName, httpPort: options.defaultHttpPort });
  const log = createLogger(config.serviceName, config.logLevel);
  const shutdown = installShutdown(log);
  const tracing = startTracing(
    readTracingConfig(env, config.serviceName),
    options.spanExporter === undefined ? {} : { exporter: options.spanExporter },
  );
  // Registered first so it runs last: the Kafka and delivery spans of the drain are exported too.
  shutdown.onShutdown("tracing", () => tracing.shutdown());
  const kafka = new KafkaAdapter({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    logger: log,
    consumerStallMs: config.kafkaConsumerStallMs,
    security: config.kafkaSecurity,
  });
  shutdown.onShutdown("kafka-admin", () => kafka.close());
  const registry = new SchemaRegistryClient(config.schemaRegistryUrl);
  const codec = new TopicCodec(
    registry,
    topicCatalog.flatMap((t) => (t.message === null ? [] : [t.message])),
  );
  const specs = options.topics.flatMap((name) => {
    const spec = topicSpec(name);
    return spec.deadLetter === null ? [spec] : [spec, topicSpec(spec.deadLetter)];
  });
  await kafka.ensureTopics(specs.map((s) => topicDeclaration(config.topicPrefix, s)));
  for (const spec of specs) {
    if (spec.message === null) continue;
    // A registry that is down (or restarting) at start-up is waited for, with a log line per try.
    await waitForRegistry(() => codec.registerTopic(physicalTopic(config.topicPrefix, spec.name), spec), {
      log,
      signal: shutdown.signal,
    });
  }
  return {
    config,
    env,
    log,
    metrics: createMetricsRegistry(config.serviceName),
    kafka,
    registry,
    codec,
    shutdown,
    tracing,
    readiness: new Map(),
    topic: (name) => physicalTopic(config.topicPrefix, topicSpec(name).name),
  };
}
