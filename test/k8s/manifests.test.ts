import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { beforeAll, describe, expect, it } from "vitest";
import { notServices, serviceRegistry } from "../../services/registry.js";
import { crdFiles, loadCrdValidators, type ResourceValidator } from "./support/crd-validators.js";
import { kustomizationProblems } from "./support/kustomization-check.js";
import { loadManifestFile, type ManifestDoc, yamlFilesUnder } from "./support/manifest-files.js";
import { modelValidators } from "./support/model-validators.js";
import { repoRoot, sharedSchema, sharedSchemasDir } from "./support/repo-paths.js";
import { checkServices, SERVICE_IMAGE } from "./support/service-checks.js";
import { validateSkaffoldFile } from "./support/skaffold-check.js";
import { structuralValidators } from "./support/structural-schemas.js";
import { validateManifests } from "./support/validate-manifests.js";

const k8sDir = join(repoRoot, "k8s");
const fixture = (name: string): string => join(repoRoot, "test", "k8s", "fixtures", name);

let crdValidators: Map<string, ResourceValidator>;
let docs: ManifestDoc[];

beforeAll(() => {
  // The required CRDs, plus any other CRD in ../shared/k8s-schemas (a ScheduledBackup or
  // PodMonitor CRD added there replaces the structural schema below).
  const present = readdirSync(sharedSchemasDir).filter((f) => /\.ya?ml$/.test(f));
  crdValidators = loadCrdValidators([...new Set([...crdFiles, ...present])].map(sharedSchema));
  // Kinds without an upstream CRD in ../shared/k8s-schemas get a structural schema instead.
  for (const [key, validator] of structuralValidators()) if (!crdValidators.has(key)) crdValidators.set(key, validator);
  // KEDA and Prometheus Operator objects are also checked against the schemas their npm models carry.
  for (const [key, validator] of modelValidators()) {
    const other = crdValidators.get(key);
    crdValidators.set(key, other === undefined ? validator : (r) => [...other(r), ...validator(r)]);
  }
  docs = yamlFilesUnder(k8sDir)
    .filter((file) => !file.endsWith("kustomization.yaml"))
    .flatMap(loadManifestFile);
});

function bodies<T>(kind: string): T[] {
  return docs.map((d) => d.body as T & { kind: string }).filter((b) => b.kind === kind);
}

describe("k8s/", () => {
  it("validates every document against its CRD schema or the Kubernetes core schemas", async () => {
    expect(docs.length).toBeGreaterThan(20);
    expect(await validateManifests(docs, crdValidators)).toEqual([]);
  });

  it("deploys every manifest through k8s/kustomization.yaml", () => {
    expect(kustomizationProblems(k8sDir, [join(k8sDir, "monitoring"), join(k8sDir, "autoscaling")])).toEqual([]);
  });

  it("runs each service as its config.ts allows: env vars, entry point, port, probes, PDBs", () => {
    expect(checkServices(docs, serviceRegistry)).toEqual([]);
  });

  it("deploys every service folder that has a main.ts, or says why not", () => {
    const withMain = ["producers", "processors", "sinks"].flatMap((top) =>
      readdirSync(join(repoRoot, top), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, top, entry.name, "main.ts")))
        .map((entry) => `${top}/${entry.name}`),
    );
    const covered = [...serviceRegistry.map((s) => s.dir), ...notServices.map((s) => s.dir)];
    expect(withMain.filter((dir) => !covered.includes(dir))).toEqual([]);
  });

  it("runs Kafka 4.3.1 in KRaft on three broker+controller nodes with replication 3 and min ISR 2", () => {
    const [pool] = bodies<{
      metadata: { labels: Record<string, string> };
      spec: { replicas: number; roles: string[] };
    }>("KafkaNodePool");
    const kafkas = bodies<{
      metadata: { name: string; annotations: Record<string, string> };
      spec: { kafka: { version: string; config: Record<string, unknown>; listeners: { port: number }[] } };
    }>("Kafka");
    expect(kafkas).toHaveLength(1);
    const kafka = kafkas[0];
    expect(kafka?.metadata.annotations).toMatchObject({
      "strimzi.io/kraft": "enabled",
      "strimzi.io/node-pools": "enabled",
    });
    expect(kafka?.spec.kafka.version).toBe("4.3.1");
    // One listener, TLS with SCRAM-SHA-512: no plaintext port with `simple` authorization on.
    expect(kafka?.spec.kafka.listeners).toEqual([
      expect.objectContaining({ name: "tls", port: 9093, tls: true, authentication: { type: "scram-sha-512" } }),
    ]);
    expect((kafka?.spec.kafka as { authorization?: unknown } | undefined)?.authorization).toEqual({ type: "simple" });
    expect(kafka?.spec.kafka.config).toMatchObject({
      "min.insync.replicas": 2,
      "default.replication.factor": 3,
      "offsets.topic.replication.factor": 3,
      "transaction.state.log.replication.factor": 3,
    });
    expect(pool?.metadata.labels["strimzi.io/cluster"]).toBe(kafka?.metadata.name);
    expect(pool?.spec.replicas).toBe(3);
    expect([...(pool?.spec.roles ?? [])].sort()).toEqual(["broker", "controller"]);
  });

  it("runs a 3-instance CloudNativePG cluster; each service's own role Secret feeds its DATABASE_URL", () => {
    const clusters = bodies<{ metadata: { name: string }; spec: { instances: number } }>("Cluster");
    expect(clusters.map((c) => c.spec.instances)).toEqual([3]);
    const databases = bodies<{ spec: { name: string; owner: string; cluster: { name: string } } }>("Database");
    expect(databases.map((d) => d.spec)).toContainEqual({
      name: "tributary",
      owner: "tributary",
      ensure: "present",
      cluster: { name: clusters[0]?.metadata.name },
    });
    const services = new Set<string>(serviceRegistry.map((s) => s.name));
    for (const deployment of bodies<IDeployment>("Deployment").filter((d) => services.has(d.metadata?.name ?? ""))) {
      for (const container of deployment.spec?.template.spec?.containers ?? []) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (variable.name === "DATABASE_URL") {
            expect(ref, `${container.name} DATABASE_URL`).toEqual({
              name: `tributary-pg-${container.name}`,
              key: "uri",
            });
          }
        }
      }
    }
  });

  it("has Dragonfly and a schema registry backed by Postgres under a role of its own", () => {
    expect(bodies("Dragonfly")).toHaveLength(1);
    const registry = bodies<IDeployment>("Deployment").find((d) => d.metadata?.name === "schema-registry");
    const env = registry?.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "APICURIO_STORAGE_SQL_KIND")?.value).toBe("postgresql");
    const userSecret = env.find((e) => e.name === "APICURIO_DATASOURCE_USERNAME")?.valueFrom?.secretKeyRef?.name;
    expect(userSecret).toBe("tributary-pg-apicurio");
    const databases = bodies<{ spec: { name: string; owner: string } }>("Database");
    expect(databases.find((d) => d.spec.name === "apicurio")?.spec.owner).toBe("apicurio");
    const [cluster] = bodies<{ spec: { managed?: { roles?: { name: string; passwordSecret?: { name: string } }[] } } }>(
      "Cluster",
    );
    expect(cluster?.spec.managed?.roles).toContainEqual(
      expect.objectContaining({ name: "apicurio", passwordSecret: { name: userSecret } }),
    );
    expect(bodies<{ metadata: { name: string } }>("Service").map((s) => s.metadata.name)).toContain("schema-registry");
  });
});

describe("skaffold.yaml", () => {
  const path = join(repoRoot, "skaffold.yaml");

  it("is valid against the skaffold v4beta14 schema", () => {
    expect(validateSkaffoldFile(path)).toEqual([]);
  });

  it("builds the one image the services run, deploys k8s/, forwards the gateway, can push", () => {
    const config = loadManifestFile(path)[0]?.body as {
      build: { artifacts: { image: string }[]; local: { push?: boolean } };
      manifests: { kustomize: { paths: string[] } };
      deploy: { kubectl: { hooks: { before: { host: { command: string[] } }[] } } };
      portForward: { resourceName: string; port: number; localPort: number }[];
      profiles: { name: string; patches?: { path: string; value: unknown }[]; manifests?: unknown }[];
    };
    // push left to skaffold (local cluster: no push; remote: push) and forced by the `push` profile.
    expect(config.build.local.push).toBeUndefined();
    expect(config.profiles.find((p) => p.name === "push")?.patches).toContainEqual(
      expect.objectContaining({ path: "/build/local/push", value: true }),
    );
    // No profile deploys operator manifests: `skaffold delete` would take their CRDs and every CR.
    expect(config.profiles.filter((p) => p.manifests !== undefined)).toEqual([]);
    expect(config.deploy.kubectl.hooks.before[0]?.host.command).toEqual(["k8s/scripts/operators.sh", "check"]);
    expect(config.build.artifacts.map((a) => a.image)).toEqual([SERVICE_IMAGE]);
    expect(config.manifests.kustomize.paths).toEqual(["k8s"]);
    expect(config.portForward).toContainEqual(
      expect.objectContaining({ resourceName: "gateway", port: 8080, localPort: 8080 }),
    );
  });
});

describe("the validator", () => {
  it("rejects broken Strimzi resources: wrong types, unknown fields, missing fields, bad names and metadata", async () => {
    const problems = await validateManifests(loadManifestFile(fixture("broken-kafka.yaml")), crdValidators);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/KafkaNodePool\/dual-role: \/spec\/replicas must be integer/),
        expect.stringMatching(/KafkaNodePool\/dual-role: \/spec\/roles\/1 must be equal to one of the allowed values/),
        expect.stringMatching(/Kafka\/tributary: \/spec\/kafka must have required property 'listeners'/),
        expect.stringMatching(/Kafka\/tributary: \/spec\/kafka must NOT have additional properties "listner"/),
        expect.stringMatching(/KafkaTopic\/Pings_Topic: metadata.name "Pings_Topic" is not a DNS-1123 subdomain/),
        expect.stringMatching(/KafkaTopic\/Pings_Topic: \/spec\/partitions must be >= 1/),
        expect.stringMatching(/Kafka\/tributary: .*'"annotation"' does not exist in type 'IObjectMeta'/),
        expect.stringMatching(
          /KafkaTopic\/Pings_Topic: Type 'number' is not assignable to type 'string'. \(at "tier": 1/,
        ),
      ]),
    );
  });

  it("rejects a broken Deployment: schema type, unknown field, env vars, probes, grace period", async () => {
    const brokenDocs = loadManifestFile(fixture("broken-deployment.yaml"));
    const schemaProblems = await validateManifests(brokenDocs, crdValidators);
    expect(schemaProblems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Deployment\/ping-counter: \/spec\/replicas must be integer/),
        expect.stringMatching(/Deployment\/ping-counter: .*'"readinessProbes"' does not exist in type 'IContainer'/),
      ]),
    );
    const pingCounter = serviceRegistry.filter((s) => s.name === "ping-counter");
    expect(pingCounter).toHaveLength(1);
    const serviceProblems = checkServices(brokenDocs, pingCounter);
    expect(serviceProblems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/sets PING_COUNTER_FLUSH_RECORD, which .* does not read/),
        expect.stringMatching(/sets NODE_ENV, which .* does not read/),
        expect.stringMatching(/HTTP_HOST is unset/),
        expect.stringMatching(/readinessProbe is missing/),
        expect.stringMatching(/livenessProbe path is \/health, expected \/healthz/),
        expect.stringMatching(/livenessProbe port resolves to 9999, the service listens on 9101/),
        expect.stringMatching(/terminationGracePeriodSeconds 10 < 40/),
        expect.stringMatching(/resources.limits.memory is missing/),
        expect.stringMatching(/no Service named ping-counter/),
        expect.stringMatching(/no PodDisruptionBudget selects the pods of this processor/),
      ]),
    );
  });

  it("rejects broken ScheduledBackup, ObjectStore, PodMonitor and PrometheusRule (structural schemas)", async () => {
    const problems = await validateManifests(loadManifestFile(fixture("broken-crs.yaml")), crdValidators);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ScheduledBackup\/nightly: \/spec\/schedule must match pattern/),
        expect.stringMatching(/ScheduledBackup\/nightly: \/spec\/method must be equal to one of the allowed values/),
        expect.stringMatching(/ObjectStore\/backups: \/spec\/configuration\/destinationPath must match pattern/),
        expect.stringMatching(/ObjectStore\/backups: .*must NOT have additional properties "accessKeyID"/),
        expect.stringMatching(/PodMonitor\/gateway: \/spec\/selector must NOT have fewer than 1 properties/),
        expect.stringMatching(/PodMonitor\/gateway: \/spec\/podMetricsEndpoints\/0\/interval must match pattern/),
        expect.stringMatching(/PrometheusRule\/rules: .*\/alert must match pattern/),
        expect.stringMatching(/PrometheusRule\/rules: .*\/for must be string/),
      ]),
    );
  });

  it("rejects a kind it has no schema for", async () => {
    const unknown: ManifestDoc = {
      file: "inline.yaml",
      index: 0,
      body: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } },
    };
    expect(await validateManifests([unknown], crdValidators)).toEqual([
      "inline.yaml#0 Widget/w: no schema for example.com/v1 Widget (add its CRD to crdFiles)",
    ]);
  });

  it("rejects a broken skaffold config", () => {
    const problems = validateSkaffoldFile(fixture("broken-skaffold.yaml"));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/apiVersion is skaffold\/v4beta13, expected skaffold\/v4beta14/),
        expect.stringMatching(/\/deploy must NOT have additional properties "kubctl"/),
        expect.stringMatching(/\/portForward\/0\/localPort must be integer/),
      ]),
    );
  });

  it("rejects a kustomization that forgets a file or lists a missing one", () => {
    expect(kustomizationProblems(fixture("unlisted"))).toEqual([
      "test/k8s/fixtures/unlisted/kustomization.yaml: resource missing.yaml does not exist",
      "test/k8s/fixtures/unlisted/forgotten.yaml is not listed in any kustomization",
    ]);
  });
});
