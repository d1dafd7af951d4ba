import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVICE_IMAGE_TAG } from "../../k8s/generate/service-manifests.js";
import { metricsPortOf } from "../../k8s/generate/service-metrics.js";
import { serviceEntry, serviceRegistry } from "../../services/registry.js";
import { renderKustomization } from "./support/kustomize-render.js";
import { repoRoot } from "./support/repo-paths.js";
import { requiredSecrets } from "./support/required-secrets.js";

const k8sDir = join(repoRoot, "k8s");
const docs = renderKustomization(k8sDir);
type Body = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: never;
};
const all = docs.map((d) => d.body as Body);
const ofKind = <T>(kind: string): T[] => all.filter((b) => b.kind === kind) as T[];
const one = <T>(kind: string): T => {
  const found = ofKind<T>(kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
};
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

describe("deployable: images", () => {
  it("pins the service image to the package version, in the manifests and the kustomization", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(SERVICE_IMAGE_TAG).toBe(pkg.version);
    const kustomization = parse(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8")) as {
      images: { name: string; newTag: string }[];
    };
    expect(kustomization.images).toEqual([{ name: "tributary", newTag: SERVICE_IMAGE_TAG }]);
  });

  it("sets imagePullPolicy IfNotPresent on every container (pinned tags do not move)", () => {
    const containers = ofKind<IDeployment>("Deployment").flatMap((d) => d.spec?.template.spec?.containers ?? []);
    expect(containers.filter((c) => c.imagePullPolicy !== "IfNotPresent").map((c) => c.name)).toEqual([]);
  });
});

describe("hardened pods", () => {
  it("labels the namespace for the restricted Pod Security profile", () => {
    const ns = one<Body>("Namespace");
    expect(ns.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  it.each(ofKind<IDeployment>("Deployment").map((d) => [d.metadata?.name ?? "", d] as const))(
    "%s: no API token, non-root, RuntimeDefault seccomp, no escalation, no capabilities, read-only root",
    (_, deployment) => {
      const pod = deployment.spec?.template.spec;
      expect(pod?.automountServiceAccountToken).toBe(false);
      expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      for (const container of pod?.containers ?? []) {
        expect(container.securityContext, container.name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
      }
    },
  );

  it("Dragonfly's pods meet the restricted profile too", () => {
    const dragonfly = one<{ spec: Record<string, Record<string, unknown>> }>("Dragonfly");
    expect(dragonfly.spec.podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(dragonfly.spec.containerSecurityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });
});

describe("placement", () => {
  it.each(ofKind<IDeployment>("Deployment").map((d) => [d.metadata?.name ?? "", d] as const))(
    "%s: replicas spread over nodes (hard) and zones, and a PodDisruptionBudget",
    (_, deployment) => {
      const labels = deployment.spec?.template.metadata?.labels;
      expect(deployment.spec?.replicas ?? 1).toBeGreaterThanOrEqual(2);
      const spread = deployment.spec?.template.spec?.topologySpreadConstraints ?? [];
      const byKey = (key: string) =>
        spread.find((s) => s.topologyKey === key && selects(s.labelSelector?.matchLabels, labels));
      expect(byKey("kubernetes.io/hostname")?.whenUnsatisfiable).toBe("DoNotSchedule");
      expect(byKey("topology.kubernetes.io/zone")).toBeDefined();
      const budgets = ofKind<IPodDisruptionBudget>("PodDisruptionBudget");
      expect(budgets.some((b) => selects(b.spec?.selector?.matchLabels, labels))).toBe(true);
    },
  );

  it("spreads Dragonfly, the Kafka node pool and the Postgres instances, and sets Kafka's rack", () => {
    const dragonfly = one<{
      spec: { topologySpreadConstraints: { topologyKey: string }[]; podMetadata: { labels: object } };
    }>("Dragonfly");
    expect(dragonfly.spec.topologySpreadConstraints.map((s) => s.topologyKey)).toContain("kubernetes.io/hostname");
    const pool = one<{ spec: { template: { pod: { topologySpreadConstraints: { topologyKey: string }[] } } } }>(
      "KafkaNodePool",
    );
    expect(pool.spec.template.pod.topologySpreadConstraints.map((s) => s.topologyKey)).toContain(
      "kubernetes.io/hostname",
    );
    const kafka = one<{ spec: { kafka: { rack: { topologyKey: string } } } }>("Kafka");
    expect(kafka.spec.kafka.rack.topologyKey).toBe("topology.kubernetes.io/zone");
    const cluster = one<{ spec: { affinity: { enablePodAntiAffinity: boolean; topologyKey: string } } }>("Cluster");
    expect(cluster.spec.affinity).toMatchObject({ enablePodAntiAffinity: true, topologyKey: "kubernetes.io/hostname" });
  });
});

describe("data safety", () => {
  it("archives WAL and backs up nightly through the barman-cloud plugin, to a rendered ObjectStore", () => {
    const cluster = one<{
      metadata: { name: string };
      spec: { plugins: { name: string; isWALArchiver?: boolean; parameters: { barmanObjectName: string } }[] };
    }>("Cluster");
    const plugin = cluster.spec.plugins.find((p) => p.isWALArchiver === true);
    expect(plugin?.name).toBe("barman-cloud.cloudnative-pg.io");
    const store = one<{ metadata: { name: string }; spec: { retentionPolicy: string } }>("ObjectStore");
    expect(store.metadata.name).toBe(plugin?.parameters.barmanObjectName);
    expect(store.spec.retentionPolicy).toMatch(/^\d+d$/);
    const backup = one<{ spec: { cluster: { name: string }; method: string; pluginConfiguration: { name: string } } }>(
      "ScheduledBackup",
    );
    expect(backup.spec).toMatchObject({
      cluster: { name: cluster.metadata.name },
      method: "plugin",
      pluginConfiguration: { name: plugin?.name },
    });
  });

  it("pins the Postgres image, and Kafka's metadata version to its version's major.minor", () => {
    const cluster = one<{ spec: { imageName: string } }>("Cluster");
    expect(cluster.spec.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:\d+\.\d+-/);
    const kafka = one<{ spec: { kafka: { version: string; metadataVersion: string } } }>("Kafka");
    const [major, minor] = kafka.spec.kafka.version.split(".");
    expect(kafka.spec.kafka.metadataVersion).toMatch(new RegExp(`^${major}\\.${minor}-IV\\d+$`));
  });
});

describe("operable", () => {
  it("runs the schema registry like the services: 2 replicas behind a PodDisruptionBudget", () => {
    const registry = ofKind<IDeployment>("Deployment").find((d) => d.metadata?.name === "schema-registry");
    expect(registry?.spec?.replicas).toBe(2);
  });

  it("exports Kafka metrics (Strimzi metrics reporter) and broker-side lag (Kafka Exporter)", () => {
    const kafka = one<{ spec: { kafka: { metricsConfig: { type: string } }; kafkaExporter: object } }>("Kafka");
    expect(kafka.spec.kafka.metricsConfig.type).toBe("strimziMetricsReporter");
    expect(kafka.spec.kafkaExporter).toBeDefined();
  });

  it("routes the gateway's http Service port from an Ingress", () => {
    const ingress = one<{ spec: { rules: { http: { paths: { backend: { service: object } }[] } }[] } }>("Ingress");
    expect(ingress.spec.rules[0]?.http.paths[0]?.backend.service).toEqual({ name: "gateway", port: { name: "http" } });
  });

  // Turns on once producers/gateway/config.ts reads METRICS_PORT (the generator then adds the port).
  it.skipIf(metricsPortOf(serviceEntry("gateway")) === undefined)(
    "scrapes the gateway on a metrics port the Ingress does not route",
    () => {
      const gateway = ofKind<IDeployment>("Deployment").find((d) => d.metadata?.name === "gateway");
      const ports = gateway?.spec?.template.spec?.containers[0]?.ports ?? [];
      expect(ports.map((p) => p.name)).toEqual(["http", "metrics"]);
      expect(gateway?.spec?.template.metadata?.annotations?.["prometheus.io/port"]).toBe(
        String(ports.find((p) => p.name === "metrics")?.containerPort),
      );
    },
  );

  it("checks, before skaffold deploys, every CRD the resources in k8s/ need", () => {
    const script = readFileSync(join(k8sDir, "scripts", "operators.sh"), "utf8");
    const crds = new Set(
      all
        .filter((b) => b.apiVersion.includes("/") && b.apiVersion.includes("."))
        .filter((b) => !/^(apps|policy|networking\.k8s\.io)\//.test(b.apiVersion))
        .map((b) => {
          const plural = b.kind.toLowerCase().replace(/y$/, "ie");
          return `${plural}s.${b.apiVersion.split("/")[0]}`;
        }),
    );
    expect([...crds].filter((crd) => !script.includes(crd))).toEqual([]);
    expect(crds.size).toBeGreaterThanOrEqual(8);
  });

  it("creates every required Secret in prerequisites.sh", () => {
    const script = readFileSync(join(k8sDir, "scripts", "prerequisites.sh"), "utf8");
    for (const [name, keys] of requiredSecrets()) {
      // The per-service Postgres role Secrets are made in one loop over stack/services.tsv.
      const perService = serviceRegistry.some((s) => name === `tributary-pg-${s.name}`);
      const made = perService ? 'create secret generic "$secret"' : `create secret generic ${name}`;
      if (perService) expect(script).toContain('secret="tributary-pg-$service"');
      expect(script, name).toContain(made);
      for (const key of keys) expect(script, `${name} ${key}`).toContain(`${key}=`);
    }
  });
});
