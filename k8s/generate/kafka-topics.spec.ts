import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DAY_MS, type TopicSpec } from "../../runtime/catalog/topic-spec.js";
import { KAFKA_TOPICS_HEADER, kafkaTopicResourceName, renderKafkaTopics } from "./kafka-topics.js";

const dlq: TopicSpec = {
  name: "orders.dlq",
  message: null,
  key: "key of the failed orders record",
  partitions: 1,
  retentionMs: 30 * DAY_MS,
  cleanupPolicy: "delete",
  deadLetter: null,
  description: "Failed orders.",
};

describe("kafkaTopicResourceName", () => {
  it("keeps valid names, dots included", () => {
    expect(kafkaTopicResourceName("transactions.timeouts.dlq")).toBe("transactions.timeouts.dlq");
  });

  it("lowers and replaces what Kubernetes names cannot hold", () => {
    expect(kafkaTopicResourceName("Orders_V2")).toBe("orders-v2");
    expect(kafkaTopicResourceName("_internal..x_")).toBe("internal.x");
  });

  it("refuses a name with nothing valid left", () => {
    expect(() => kafkaTopicResourceName("___")).toThrow(/no valid Kubernetes resource name/);
  });
});

describe("renderKafkaTopics", () => {
  it("writes the header and one Strimzi KafkaTopic per topic, keeping the exact Kafka name", () => {
    const text = renderKafkaTopics([{ ...dlq, name: "Orders_DLQ" }]);
    expect(text.startsWith(`${KAFKA_TOPICS_HEADER}\n---\n`)).toBe(true);
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs).toEqual([
      {
        apiVersion: "kafka.strimzi.io/v1",
        kind: "KafkaTopic",
        metadata: {
          name: "orders-dlq",
          labels: { "strimzi.io/cluster": "tributary", "app.kubernetes.io/part-of": "tributary" },
          annotations: {
            "tributary.io/message-type": "none (original record bytes)",
            "tributary.io/key": "key of the failed orders record",
            "tributary.io/description": "Failed orders.",
          },
        },
        spec: {
          topicName: "Orders_DLQ",
          partitions: 1,
          replicas: 3,
          config: { "retention.ms": 30 * DAY_MS, "cleanup.policy": "delete", "min.insync.replicas": 2 },
        },
      },
    ]);
  });

  it("refuses two topics that map to one resource name", () => {
    expect(() =>
      renderKafkaTopics([
        { ...dlq, name: "a_b" },
        { ...dlq, name: "a-b" },
      ]),
    ).toThrow(/both map to/);
  });
});
