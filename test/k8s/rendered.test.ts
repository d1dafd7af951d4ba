import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { checkCrossReferences } from "./support/cross-references.js";
import { renderKustomization } from "./support/kustomize-render.js";
import type { ManifestDoc } from "./support/manifest-files.js";
import { repoRoot } from "./support/repo-paths.js";
import { requiredSecrets } from "./support/required-secrets.js";

const k8sDir = join(repoRoot, "k8s");
const fixture = (name: string): string => join(repoRoot, "test", "k8s", "fixtures", name);
/** Operator-run workloads whose image must be pinned in the CR (their operator's default moves). */
const PINNED_IMAGE_KINDS = ["Cluster", "Dragonfly"];
const options = { externalSecrets: requiredSecrets(), pinnedImageKinds: PINNED_IMAGE_KINDS };

/** `kubectl kustomize` when kubectl is installed (it embeds kustomize), else undefined. */
function kubectlKustomize(dir: string): unknown[] | undefined {
  try {
    const text = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return parseAllDocuments(text).map((d) => d.toJS() as unknown);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function byIdentity(objects: readonly unknown[]): Map<string, unknown> {
  return new Map(
    objects.map((o) => {
      const b = o as { apiVersion: string; kind: string; metadata: { name: string } };
      return [`${b.apiVersion} ${b.kind} ${b.metadata.name}`, o];
    }),
  );
}

describe("the rendered kustomization (k8s/ and k8s/monitoring)", () => {
  const base = renderKustomization(k8sDir);
  const monitoring = renderKustomization(join(k8sDir, "monitoring"));

  it("renders every object into namespace tributary with the pinned service image", () => {
    expect(base.length).toBeGreaterThan(30);
    const namespaced = [...base, ...monitoring].filter((d) => (d.body as { kind: string }).kind !== "Namespace");
    expect(
      namespaced.filter((d) => (d.body as { metadata: { namespace?: string } }).metadata.namespace !== "tributary"),
    ).toEqual([]);
  });

  it("resolves every host, port, Secret, ConfigMap, Ingress backend and image", () => {
    expect(checkCrossReferences(base, options)).toEqual([]);
  });

  const kubectl = kubectlKustomize(k8sDir);
  it.skipIf(kubectl === undefined)("equals `kubectl kustomize` output (kubectl on the PATH)", () => {
    for (const [dir, rendered] of [
      [k8sDir, base],
      [join(k8sDir, "monitoring"), monitoring],
      [join(k8sDir, "autoscaling"), renderKustomization(join(k8sDir, "autoscaling"))],
    ] as const) {
      const ours = byIdentity(rendered.map((d) => d.body));
      const theirs = byIdentity(kubectlKustomize(dir) ?? []);
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [id, body] of ours) expect(body, id).toEqual(theirs.get(id));
    }
  });

  it("refuses a kustomization field it does not implement", () => {
    expect(() => renderKustomization(fixture("unsupported-kustomization"))).toThrow(
      /does not implement patches \(extend kustomize-render.ts\)/,
    );
  });
});

describe("the cross-reference check", () => {
  const broken: ManifestDoc[] = renderKustomization(fixture("broken-refs"));
  const problems = checkCrossReferences(broken, options);

  it.each([
    ["a misspelled Dragonfly host", /REDIS_URL=redis:\/\/dragonfy:6379: host dragonfy is not a Service/],
    [
      "a Kafka bootstrap port no listener has",
      /KAFKA_BROKERS=.*Kafka\/tributary \(Strimzi\) has no port 9093 \(ports: 9092\)/,
    ],
    ["a wrong Apicurio JDBC host", /APICURIO_DATASOURCE_URL=jdbc:postgresql:\/\/tributary-pg-rx:5432.*not a Service/],
    ["a Secret nothing creates", /secretKeyRef names Secret tributary-pg-apicuro, which nothing creates/],
    ["a key the operator's Secret lacks", /secretKeyRef: Cluster\/tributary-pg \(CloudNativePG\) has no key url/],
    [
      "a managed role's missing password Secret",
      /passwordSecret names Secret apicurio-password, which nothing creates/,
    ],
    ["an untagged CR image", /Cluster\/tributary-pg: image ghcr.io\/cloudnative-pg\/postgresql has no tag/],
    ["an operator default image", /Dragonfly\/dragonfly: sets no image/],
    [
      "an untagged container image",
      /container apicurio-registry: image quay.io\/apicurio\/apicurio-registry has no tag/,
    ],
    ["a :latest image from the kustomization", /container gateway: image tributary:latest is :latest/],
    ["a missing ConfigMap", /envFrom names ConfigMap tributary-platfrom, which is not rendered/],
    ["a Service port no pod has", /Service\/schema-registry: targetPort management is no container port/],
    ["an Ingress to a missing Service", /Ingress\/gateway: backend Service gateway is not rendered/],
    ["a stale required-secrets.tsv entry", /required-secrets.tsv lists tributary-backup-s3, which nothing references/],
  ])("reports %s", (_, pattern) => {
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });

  it("resolves a fully qualified Service name (schema-registry.tributary.svc)", () => {
    expect(problems.filter((p) => p.includes("SCHEMA_REGISTRY_URL"))).toEqual([]);
  });
});
