import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lagQueryOf, replicaBoundsOf, scaledServices } from "../../k8s/generate/autoscaling.js";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { serviceRegistry } from "../../services/registry.js";
import { renderKustomization } from "./support/kustomize-render.js";
import type { ManifestDoc } from "./support/manifest-files.js";
import { modelValidators } from "./support/model-validators.js";
import { repoRoot } from "./support/repo-paths.js";

interface ScaledObjectBody {
  kind: "ScaledObject";
  metadata: { name: string; namespace?: string };
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    triggers: { type: string; metadata: { query: string; threshold: string; serverAddress: string } }[];
  };
}
interface HpaBody {
  kind: "HorizontalPodAutoscaler";
  metadata: { name: string };
  spec: {
    scaleTargetRef: { name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: { resource: { name: string } }[];
  };
}

const k8sDir = join(repoRoot, "k8s");
const bodiesOf = <T>(docs: readonly ManifestDoc[], kind: string): T[] =>
  docs.map((d) => d.body as T & { kind: string }).filter((b) => b.kind === kind);

describe("k8s/autoscaling", () => {
  const autoscaling = renderKustomization(join(k8sDir, "autoscaling"));
  const base = renderKustomization(k8sDir);
  const scaled = bodiesOf<ScaledObjectBody>(autoscaling, "ScaledObject");
  const deployments = new Set(bodiesOf<{ metadata: { name: string } }>(base, "Deployment").map((d) => d.metadata.name));

  it("gives every Kafka consumer a KEDA ScaledObject on the lag it stores with its state", () => {
    const consumers = serviceRegistry
      .filter((s) => (s.role === "processor" || s.role === "sink") && s.kafka.reads.length > 0)
      .map((s) => s.name);
    expect(consumers.length).toBeGreaterThanOrEqual(7);
    expect(scaled.map((s) => s.metadata.name).sort()).toEqual([...consumers].sort());
    for (const object of scaled) {
      const service = serviceRegistry.find((s) => s.name === object.metadata.name);
      expect(object.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: object.metadata.name });
      expect(deployments.has(object.spec.scaleTargetRef.name), object.metadata.name).toBe(true);
      const [trigger] = object.spec.triggers;
      expect(trigger?.type).toBe("prometheus");
      expect(trigger?.metadata.query).toBe(`sum(tributary_consumergroup_lag{group="${service?.kafka.group}"})`);
      expect(Number(trigger?.metadata.threshold)).toBeGreaterThan(0);
    }
  });

  it("bounds replicas by the partitions of the input topic (more members would sit idle)", () => {
    for (const object of scaled) {
      const service = serviceRegistry.find((s) => s.name === object.metadata.name);
      const partitions = Math.max(
        ...(service?.kafka.reads ?? []).map((name) => topicCatalog.find((t) => t.name === name)?.partitions ?? 0),
      );
      expect(object.spec.minReplicaCount, object.metadata.name).toBe(1);
      expect(object.spec.maxReplicaCount, object.metadata.name).toBe(partitions);
      expect(object.spec.maxReplicaCount).toBeGreaterThanOrEqual(object.spec.minReplicaCount);
    }
  });

  it("scales the gateway on CPU with an autoscaling/v2 HPA from its Deployment's replicas", () => {
    const [hpa, ...more] = bodiesOf<HpaBody>(autoscaling, "HorizontalPodAutoscaler");
    expect(more).toEqual([]);
    const gateway = serviceRegistry.find((s) => s.name === "gateway");
    expect(hpa?.spec.scaleTargetRef.name).toBe("gateway");
    expect(hpa?.spec.minReplicas).toBe(gateway?.deploy.replicas);
    expect(hpa?.spec.maxReplicas).toBeGreaterThan(hpa?.spec.minReplicas ?? 0);
    expect(hpa?.spec.metrics.map((m) => m.resource.name)).toEqual(["cpu"]);
  });

  it("validates against the KEDA model's schema, and the validator rejects a broken one", () => {
    const validate = modelValidators().get("keda.sh/v1alpha1/ScaledObject");
    for (const object of scaled) expect(validate?.(object), object.metadata.name).toEqual([]);
    const broken = { ...scaled[0], spec: { ...scaled[0]?.spec, minReplicaCount: "one", scaleTargetRef: undefined } };
    expect(validate?.(broken).length).toBeGreaterThan(0);
  });

  it("derives bounds and queries from the registry and the catalog", () => {
    const counter = scaledServices(serviceRegistry).find((s) => s.name === "ping-counter");
    expect(counter && replicaBoundsOf(counter)).toEqual({ min: 1, max: 6 });
    expect(counter && lagQueryOf(counter)).toMatch(/group="ping-counter"/);
  });
});
