import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { defaultKafkaTopicOptions, renderKafkaTopics } from "../../k8s/generate/kafka-topics.js";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import type { TopicSpec } from "../../runtime/catalog/topic-spec.js";
import { loadManifestFile } from "./support/manifest-files.js";
import { repoRoot } from "./support/repo-paths.js";

const topicsFile = join(repoRoot, "k8s", "kafka", "topics.yaml");

interface KafkaTopicDoc {
  kind: string;
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, unknown> };
}

/** Differences between KafkaTopic documents and a catalog, one line each (empty when they agree). */
function catalogDrift(docs: readonly KafkaTopicDoc[], catalog: readonly TopicSpec[]): string[] {
  const problems: string[] = [];
  const byName = new Map(docs.map((d) => [d.spec.topicName, d]));
  for (const spec of catalog) {
    const doc = byName.get(spec.name);
    if (doc === undefined) {
      problems.push(`${spec.name}: in the catalog, no KafkaTopic`);
      continue;
    }
    const expected = {
      partitions: spec.partitions,
      "retention.ms": spec.retentionMs,
      "cleanup.policy": spec.cleanupPolicy,
    };
    const actual = {
      partitions: doc.spec.partitions,
      "retention.ms": doc.spec.config["retention.ms"],
      "cleanup.policy": doc.spec.config["cleanup.policy"],
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`${spec.name}: KafkaTopic has ${JSON.stringify(actual)}, catalog ${JSON.stringify(expected)}`);
    }
    const type = spec.message?.typeName;
    if (type !== undefined && doc.metadata.annotations["tributary.io/message-type"] !== type) {
      problems.push(`${spec.name}: KafkaTopic does not name message type ${type}`);
    }
  }
  for (const name of byName.keys()) {
    if (!catalog.some((spec) => spec.name === name)) problems.push(`${name}: KafkaTopic, not in the catalog`);
  }
  return problems;
}

function committedTopics(): KafkaTopicDoc[] {
  return loadManifestFile(topicsFile).map((d) => d.body as KafkaTopicDoc);
}

describe("k8s/kafka/topics.yaml", () => {
  it("is exactly what `npm run k8s:topics` generates from the topic catalog", () => {
    const committed = readFileSync(topicsFile, "utf8");
    const generated = renderKafkaTopics(topicCatalog);
    expect(committed, "k8s/kafka/topics.yaml is stale: run `npm run k8s:topics`").toBe(generated);
  });

  it("has one KafkaTopic per catalog topic, with its partitions, retention, cleanup policy and type", () => {
    const docs = committedTopics();
    expect(docs.every((d) => d.kind === "KafkaTopic")).toBe(true);
    expect(docs.map((d) => d.spec.topicName).sort()).toEqual(topicCatalog.map((t) => t.name).sort());
    expect(catalogDrift(docs, topicCatalog)).toEqual([]);
  });

  it("belongs to the Kafka cluster in k8s/kafka/kafka.yaml and can meet min.insync.replicas", () => {
    const cluster = loadManifestFile(join(repoRoot, "k8s", "kafka", "kafka.yaml"))
      .map((d) => d.body as { kind: string; metadata: { name: string }; spec: { replicas?: number } })
      .filter((b) => b.kind === "Kafka" || b.kind === "KafkaNodePool");
    const kafkaName = cluster.find((b) => b.kind === "Kafka")?.metadata.name;
    const brokers = cluster.find((b) => b.kind === "KafkaNodePool")?.spec.replicas ?? 0;
    expect(kafkaName).toBe(defaultKafkaTopicOptions.clusterName);
    for (const doc of committedTopics()) {
      expect(doc.metadata.labels["strimzi.io/cluster"]).toBe(kafkaName);
      expect(doc.spec.replicas).toBeLessThanOrEqual(brokers);
      expect(doc.spec.config["min.insync.replicas"]).toBeLessThan(doc.spec.replicas);
    }
  });

  it("drift check reports a topic added to, removed from or changed in the catalog", () => {
    const docs = parseAllDocuments(renderKafkaTopics(topicCatalog)).map((d) => d.toJS() as KafkaTopicDoc);
    const [first, ...rest] = topicCatalog;
    if (first === undefined) throw new Error("empty topic catalog");
    const added: TopicSpec = { ...first, name: "audit", deadLetter: null };
    const changed: TopicSpec = { ...first, partitions: first.partitions + 1 };
    expect(catalogDrift(docs, [...topicCatalog, added])).toEqual(["audit: in the catalog, no KafkaTopic"]);
    expect(catalogDrift(docs, rest)).toEqual([`${first.name}: KafkaTopic, not in the catalog`]);
    expect(catalogDrift(docs, [changed, ...rest])).toHaveLength(1);
    expect(renderKafkaTopics([changed, ...rest])).not.toBe(renderKafkaTopics(topicCatalog));
  });
});
