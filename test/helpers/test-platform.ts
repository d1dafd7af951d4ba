import type { DescMessage, Message } from "@bufbuild/protobuf";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { KafkaAdapter, type RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import { createLogger } from "../../runtime/observability/logger.js";
import { topicDeclaration } from "../../runtime/platform.js";
import { SchemaRegistryClient } from "../../runtime/serde/schema-registry-client.js";
import { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { stackEnv } from "./stack-env.js";

/** Kafka, registry and serde for a test, on catalog topics under a unique prefix. */
export class TestPlatform {
  readonly log = createLogger("test", "warn");
  readonly kafka = new KafkaAdapter({ brokers: stackEnv.KAFKA_BROKERS.split(","), clientId: "test", logger: this.log });
  readonly registry = new SchemaRegistryClient(stackEnv.SCHEMA_REGISTRY_URL);
  readonly codec = new TopicCodec(
    this.registry,
    topicCatalog.flatMap((t) => (t.message === null ? [] : [t.message])),
  );
  #producer: RecordProducer | undefined;

  constructor(readonly prefix: string) {}

  topic(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Creates every catalog topic under the prefix and registers the schemas. */
  async createTopics(): Promise<void> {
    await this.kafka.ensureTopics(topicCatalog.map((t) => topicDeclaration(this.prefix, t)));
    for (const spec of topicCatalog)
      if (spec.message !== null) await this.codec.registerTopic(this.topic(spec.name), spec);
  }

  async producer(): Promise<RecordProducer> {
    if (this.#producer === undefined) {
      this.#producer = this.kafka.createProducer();
      await this.#producer.connect();
    }
    return this.#producer;
  }

  async send<T extends Message>(name: string, schema: DescMessage, message: T, key: string) {
    const topic = this.topic(name);
    return (await this.producer()).send(topic, this.codec.encode(topic, schema, message, key));
  }

  /**
   * Deletes the test's topics and closes the clients. Each step is bounded: after a broker
   * restart (chaos tests) a client may wait on a dead connection, and clean-up must not hang
   * the suite; topics left behind are harmless (unique prefix).
   */
  async close(): Promise<void> {
    await bounded("producer disconnect", async () => this.#producer?.disconnect());
    await bounded("topic deletion", async () => {
      const topics = (await this.kafka.listTopics()).filter((t) => t.startsWith(this.prefix));
      await this.kafka.deleteTopics(topics);
    });
    await bounded("admin close", () => this.kafka.close());
  }
}

const CLEANUP_STEP_MS = 15_000;

async function bounded(step: string, fn: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), CLEANUP_STEP_MS);
  });
  const outcome = await Promise.race([fn().then(() => "done" as const), timeout]).catch(() => "failed" as const);
  clearTimeout(timer);
  if (outcome !== "done") process.stderr.write(`test clean-up: ${step} ${outcome}; going on\n`);
}
