import { topicCatalog } from "../runtime/catalog/catalog.js";
import { EnvReader } from "../runtime/config/env-reader.js";
import { type PlatformConfig, readPlatformConfig } from "../runtime/config/platform-config.js";
import { KafkaAdapter } from "../runtime/kafka/kafka-adapter.js";
import { createLogger, type Logger } from "../runtime/observability/logger.js";
import { SchemaRegistryClient } from "../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../runtime/serde/topic-codec.js";

/** Clients for CLI commands: logs go to stderr at warn level so stdout stays data. */
export interface CliContext {
  readonly config: PlatformConfig;
  readonly env: EnvReader;
  readonly log: Logger;
  readonly kafka: KafkaAdapter;
  readonly registry: SchemaRegistryClient;
  readonly codec: TopicCodec;
  close(): Promise<void>;
}

export function cliContext(): CliContext {
  const env = new EnvReader();
  const config = readPlatformConfig(env, { serviceName: "tributary-cli", httpPort: 0 });
  const log = createLogger("tributary-cli", process.env.LOG_LEVEL ?? "warn");
  const kafka = new KafkaAdapter({
    brokers: config.kafkaBrokers,
    clientId: "tributary-cli",
    logger: log,
    security: config.kafkaSecurity,
  });
  const registry = new SchemaRegistryClient(config.schemaRegistryUrl);
  const codec = new TopicCodec(
    registry,
    topicCatalog.flatMap((t) => (t.message === null ? [] : [t.message])),
  );
  return { config, env, log, kafka, registry, codec, close: () => kafka.close() };
}
