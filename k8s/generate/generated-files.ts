import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { serviceRegistry } from "../../services/registry.js";
import { renderStackTable } from "../../services/stack-table.js";
import { renderAutoscalers } from "./autoscaling.js";
import { renderDashboardConfigMap, renderDashboardJson } from "./grafana-dashboard.js";
import { renderKafkaTopics } from "./kafka-topics.js";
import { renderKafkaUsers } from "./kafka-users.js";
import { renderNetworkPolicies } from "./network-policies.js";
import { renderServiceManifest, renderServicePodMonitors, renderServicesKustomization } from "./service-manifests.js";

/** A file written by the generator: path relative to the repository root, and its full text. */
export interface GeneratedFile {
  readonly path: string;
  readonly text: string;
}

/** Hand-written files in k8s/services/ (everything else there is generated). */
const HAND_WRITTEN_SERVICE_FILES = new Set(["platform-config.yaml"]);

/** Everything generated from the topic catalog and the service registry. */
export function generatedFiles(): GeneratedFile[] {
  return [
    { path: "k8s/kafka/topics.yaml", text: renderKafkaTopics(topicCatalog) },
    { path: "k8s/kafka/users.yaml", text: renderKafkaUsers(serviceRegistry) },
    { path: "k8s/network/policies.yaml", text: renderNetworkPolicies(serviceRegistry) },
    ...serviceRegistry.map((s) => ({ path: `k8s/services/${s.name}.yaml`, text: renderServiceManifest(s) })),
    { path: "k8s/services/kustomization.yaml", text: renderServicesKustomization(serviceRegistry) },
    { path: "k8s/autoscaling/autoscalers.yaml", text: renderAutoscalers(serviceRegistry) },
    { path: "k8s/monitoring/grafana/tributary.json", text: renderDashboardJson() },
    { path: "k8s/monitoring/grafana-dashboard.yaml", text: renderDashboardConfigMap() },
    { path: "k8s/monitoring/service-pod-monitors.yaml", text: renderServicePodMonitors(serviceRegistry) },
    { path: "stack/services.tsv", text: renderStackTable(serviceRegistry) },
  ];
}

/** Differences between the tree at `root` and what the generator writes, one line each. */
export function generatedDrift(root: string): string[] {
  const files = generatedFiles();
  const problems = files.flatMap(({ path, text }) => {
    const full = join(root, path);
    if (!existsSync(full)) return [`${path} is missing`];
    return readFileSync(full, "utf8") === text ? [] : [`${path} differs from its source`];
  });
  const expected = new Set(files.map((f) => f.path));
  const servicesDir = join(root, "k8s", "services");
  for (const name of existsSync(servicesDir) ? readdirSync(servicesDir) : []) {
    const path = `k8s/services/${name}`;
    if (!HAND_WRITTEN_SERVICE_FILES.has(name) && !expected.has(path)) {
      problems.push(`${path} is not generated from any registry entry (a removed service?)`);
    }
  }
  return problems;
}
