import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { describe, expect, it } from "vitest";
import { CONSOLE_GROUP_PREFIX } from "../../console/topic-reader.js";
import { kafkaAcls } from "../../k8s/generate/kafka-users.js";
import { renderServiceManifest } from "../../k8s/generate/service-manifests.js";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { serviceRegistry } from "../../services/registry.js";
import type { ServiceEntry } from "../../services/service-entry.js";
import { loadCrdValidators } from "./support/crd-validators.js";
import { renderKustomization } from "./support/kustomize-render.js";
import { repoRoot, sharedSchema } from "./support/repo-paths.js";

interface Acl {
  type?: string;
  resource: { type: string; name?: string; patternType?: string };
  operations: string[];
}
interface Body {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const rendered = renderKustomization(join(repoRoot, "k8s")).map((d) => d.body as Body);
const ofKind = (kind: string): Body[] => rendered.filter((b) => b.kind === kind);
const users = new Map(ofKind("KafkaUser").map((u) => [u.metadata.name, u]));
const dataTopics = new Set(topicCatalog.filter((t) => t.message !== null).map((t) => t.name));

/** "topic:pings:Read" for every (resource, operation) pair a user's ACLs allow. */
function grants(acls: readonly Acl[]): string[] {
  return acls.flatMap((a) => a.operations.map((op) => `${a.resource.type}:${a.resource.name}:${op}`)).sort();
}

/** What the declaration in services/registry.ts allows, computed here independently of the generator. */
function declaredGrants(service: ServiceEntry): string[] {
  const { reads, writes, group, describesGroups = [], transactionalIds = [] } = service.kafka;
  const out = new Set<string>();
  for (const t of reads)
    for (const g of [`${t}:Read`, `${t}:Describe`, `${t}.dlq:Write`, `${t}.dlq:Describe`]) out.add(`topic:${g}`);
  for (const t of writes) for (const g of [`${t}:Write`, `${t}:Describe`, `${t}.dlq:Describe`]) out.add(`topic:${g}`);
  if (group !== undefined) out.add(`group:${group}:Read`);
  for (const g of describesGroups) out.add(`group:${g}:Describe`);
  for (const id of transactionalIds) for (const op of ["Write", "Describe"]) out.add(`transactionalId:${id}:${op}`);
  if (service.kafka.browses !== undefined) {
    for (const t of topicCatalog) for (const op of ["Read", "Describe"]) out.add(`topic:${t.name}:${op}`);
    out.add(`group:${service.kafka.browses.groupPrefix}:Read`);
  }
  return [...out].sort();
}

/** The `topics: [...]` a service's main.ts hands startPlatform: every catalog topic it uses. */
function platformTopicsOf(service: ServiceEntry): string[] {
  const main = readFileSync(join(repoRoot, service.dir, "main.ts"), "utf8");
  const match = /startPlatform\(\{[\s\S]*?topics:\s*\[([^\]]*)\]/.exec(main);
  if (match?.[1] === undefined) throw new Error(`${service.dir}/main.ts: no startPlatform({ topics: [...] })`);
  return [...match[1].matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "").sort();
}

/** String constants exported by the service's own non-test files (its group-id default lives there). */
function constantsOf(service: ServiceEntry): Map<string, string> {
  const dir = join(repoRoot, service.dir);
  const constants = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".spec.ts"))) {
    for (const m of readFileSync(join(dir, file), "utf8").matchAll(/export const (\w+) = "([^"]+)"/g)) {
      constants.set(m[1] ?? "", m[2] ?? "");
    }
  }
  return constants;
}

/** The consumer group the code uses by default: the constant handed to the tuning reader. */
function codeGroupOf(service: ServiceEntry): string | undefined {
  const dir = join(repoRoot, service.dir);
  const text = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".spec.ts"))
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
  const ident =
    /readProcessorTuning\(\s*platform,\s*ENV_PREFIX,\s*(\w+)/.exec(text)?.[1] ??
    /read\w+Config\(\s*platform\.env,\s*(\w+)\s*\)/.exec(text)?.[1] ??
    /groupId:\s*(\w+),/.exec(text)?.[1];
  return ident === undefined ? undefined : constantsOf(service).get(ident);
}

describe("Kafka access declared in services/registry.ts", () => {
  it.each(serviceRegistry.map((s) => [s.name, s] as const))(
    "%s declares exactly the topics its main.ts uses",
    (_, service) => {
      const { reads, writes } = service.kafka;
      for (const t of [...reads, ...writes])
        expect(dataTopics.has(t), `${t} is a data topic of the catalog`).toBe(true);
      expect([...new Set([...reads, ...writes])].sort()).toEqual(platformTopicsOf(service));
      // The console reads with throw-away groups only (no group of its own to declare).
      if (service.role === "producer" || service.role === "console") expect(reads).toEqual([]);
      else expect(reads.length, "a consumer reads at least one topic").toBeGreaterThan(0);
    },
  );

  it.each(serviceRegistry.filter((s) => s.kafka.reads.length > 0).map((s) => [s.name, s] as const))(
    "%s declares the consumer group its code uses",
    (_, service) => {
      expect(service.kafka.group).toBe(codeGroupOf(service));
    },
  );
});

describe("KafkaUsers (k8s/kafka/users.yaml)", () => {
  const validators = loadCrdValidators([sharedSchema("strimzi-044-Crd-kafkauser.yaml")]);

  it("validate against the Strimzi KafkaUser CRD", () => {
    expect(users.size).toBe(serviceRegistry.length);
    for (const user of users.values()) {
      const validate = validators.get(`${user.apiVersion}/${user.kind}`);
      expect(validate, user.apiVersion).toBeDefined();
      expect(validate?.(user), user.metadata.name).toEqual([]);
    }
  });

  it.each(serviceRegistry.map((s) => [s.name, s] as const))(
    "%s: SCRAM-SHA-512 with exactly the ACLs its declaration allows",
    (_, service) => {
      const user = users.get(service.name);
      expect(user?.metadata.labels?.["strimzi.io/cluster"]).toBe("tributary");
      const spec = user?.spec as { authentication: unknown; authorization: { type: string; acls: Acl[] } };
      expect(spec.authentication).toEqual({ type: "scram-sha-512" });
      expect(spec.authorization.type).toBe("simple");
      for (const acl of spec.authorization.acls) {
        expect(acl.type).toBe("allow");
        expect(acl.resource.name, "no wildcard resource").not.toMatch(/\*/);
        expect(acl.operations).not.toContain("All");
        expect(acl.resource.type).not.toBe("cluster");
      }
      expect(grants(spec.authorization.acls)).toEqual(declaredGrants(service));
    },
  );

  it("lets the timer write the derived topic and every consumer its dead-letter topic", () => {
    const timer = grants(
      ((users.get("transaction-timer")?.spec ?? {}) as { authorization: { acls: Acl[] } }).authorization.acls,
    );
    expect(timer).toEqual(
      expect.arrayContaining(["topic:transactions.timeouts:Write", "topic:transactions.dlq:Write"]),
    );
    expect(timer).not.toContain("topic:transactions:Write");
  });
});

describe("service credentials", () => {
  const deployments = new Map(
    (ofKind("Deployment") as unknown as IDeployment[]).map((d) => [d.metadata?.name ?? "", d]),
  );

  it.each(serviceRegistry.map((s) => [s.name] as const))(
    "%s uses its own KafkaUser Secret, the cluster CA, its own Postgres role and the Dragonfly password",
    (name) => {
      const pod = deployments.get(name)?.spec?.template.spec;
      const container = pod?.containers.find((c) => c.name === name);
      const env = new Map((container?.env ?? []).map((e) => [e.name, e]));
      expect(env.get("KAFKA_SASL_USERNAME")?.value).toBe(name);
      expect(env.get("KAFKA_SASL_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({ name, key: "password" });
      expect(env.get("DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({ name: `tributary-pg-${name}`, key: "uri" });
      expect(env.get("REDIS_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "tributary-dragonfly", key: "url" });
      const caFile = env.get("KAFKA_TLS_CA_FILE")?.value ?? "";
      const mount = container?.volumeMounts?.find((m) => caFile.startsWith(`${m.mountPath}/`));
      const volume = pod?.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.secret?.secretName).toBe("tributary-cluster-ca-cert");
      expect(volume?.secret?.items).toEqual([
        { key: "ca.crt", path: caFile.slice((mount?.mountPath.length ?? 0) + 1) },
      ]);
      // Every other service's Kafka Secret stays out of the pod.
      const secretRefs = (container?.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.name ?? []);
      expect(secretRefs.filter((s) => serviceRegistry.some((o) => o.name === s && o.name !== name))).toEqual([]);
    },
  );

  it("connects to the TLS SCRAM listener (shared ConfigMap)", () => {
    const platform = ofKind("ConfigMap").find((c) => c.metadata.name === "tributary-platform") as
      | (Body & { data: Record<string, string> })
      | undefined;
    expect(platform?.data).toMatchObject({
      KAFKA_BROKERS: "tributary-kafka-bootstrap:9093",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
    });
    expect(platform?.data.REDIS_URL, "REDIS_URL carries a password: from the Secret only").toBeUndefined();
  });

  it("has one CloudNativePG login role per service, its password from the service's Secret", () => {
    const [cluster] = ofKind("Cluster");
    const roles = (
      (cluster?.spec?.managed ?? {}) as {
        roles: { name: string; login?: boolean; passwordSecret?: { name: string } }[];
      }
    ).roles;
    for (const service of serviceRegistry) {
      expect(roles, service.name).toContainEqual(
        expect.objectContaining({
          name: service.name,
          login: true,
          passwordSecret: { name: `tributary-pg-${service.name}` },
        }),
      );
    }
  });

  it("runs Dragonfly with a password from a Secret", () => {
    const [dragonfly] = ofKind("Dragonfly");
    expect(dragonfly?.spec?.authentication).toEqual({
      passwordFromSecret: { name: "tributary-dragonfly", key: "password" },
    });
  });

  it("sets AUTH_MODE=required for a service that reads AUTH_MODE and does not set it itself", () => {
    const gateway = serviceRegistry.find((s) => s.name === "gateway");
    if (gateway === undefined) throw new Error("no gateway in the registry");
    const { AUTH_MODE: _, ...otherSettings } = gateway.deploy.settings;
    const withAuth: ServiceEntry = {
      ...gateway,
      config: { ...gateway.config, ENV_VARS: [...gateway.config.ENV_VARS, "AUTH_MODE"] },
      deploy: { ...gateway.deploy, settings: otherSettings },
    };
    expect(renderServiceManifest(withAuth)).toMatch(/- name: AUTH_MODE\n\s+value: required\n/);
    const setByItself = { ...withAuth, deploy: { ...withAuth.deploy, settings: { AUTH_MODE: "off" } } };
    expect(renderServiceManifest(setByItself)).not.toMatch(/name: AUTH_MODE/);
    // The gateway as deployed: required, from its ConfigMap or the Deployment's env.
    const text = renderServiceManifest(gateway);
    expect(/AUTH_MODE: required\n|- name: AUTH_MODE\n\s+value: required\n/.test(text)).toBe(true);
  });
});

describe("NetworkPolicies (k8s/network/policies.yaml)", () => {
  const policies = ofKind("NetworkPolicy") as (Body & {
    spec: {
      podSelector: { matchLabels?: Record<string, string> };
      policyTypes: string[];
      ingress?: unknown[];
      egress?: unknown[];
    };
  })[];
  const selects = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>): boolean =>
    Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

  it("deny all ingress by default", () => {
    expect(policies).toContainEqual(expect.objectContaining({ spec: { podSelector: {}, policyTypes: ["Ingress"] } }));
  });

  it("give every pod in k8s/ a policy of its own, and every service an egress policy", () => {
    const pods: [string, Record<string, string>][] = [
      ...(ofKind("Deployment") as unknown as IDeployment[]).map((d): [string, Record<string, string>] => [
        d.metadata?.name ?? "",
        d.spec?.template.metadata?.labels ?? {},
      ]),
      ["postgres", { "cnpg.io/cluster": "tributary-pg" }],
      ["dragonfly", { "app.kubernetes.io/name": "dragonfly", "app.kubernetes.io/part-of": "tributary" }],
    ];
    const own = policies.filter((p) => Object.keys(p.spec.podSelector.matchLabels ?? {}).length > 0);
    for (const [name, labels] of pods) {
      expect(own.filter((p) => selects(p.spec.podSelector, labels)).length, name).toBeGreaterThan(0);
    }
    for (const service of serviceRegistry) {
      const policy = own.find((p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === service.name);
      expect(policy?.spec.policyTypes, service.name).toEqual(["Ingress", "Egress"]);
    }
  });

  it("open the internet only to the deliverers, never private or metadata ranges", () => {
    const withIpBlock = policies.filter((p) => JSON.stringify(p.spec.egress ?? []).includes("ipBlock"));
    expect(withIpBlock.map((p) => p.metadata.name).sort()).toEqual(["callback-dispatcher", "postback-delivery"]);
    for (const p of withIpBlock) {
      const text = JSON.stringify(p.spec.egress);
      for (const range of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7"]) {
        expect(text, `${p.metadata.name} excepts ${range}`).toContain(range);
      }
    }
  });

  it("let only the gateway's API port in from outside the namespace and monitoring", () => {
    for (const p of policies.filter((x) => serviceRegistry.some((s) => s.name === x.metadata.name))) {
      const open = (p.spec.ingress ?? []).filter((rule) => (rule as { from?: unknown[] }).from === undefined);
      expect(open.length, p.metadata.name).toBe(p.metadata.name === "gateway" ? 1 : 0);
    }
  });

  it("restrict Kafka's listener to the service pods (Strimzi networkPolicyPeers)", () => {
    const [kafka] = ofKind("Kafka");
    const listeners = ((kafka?.spec?.kafka ?? {}) as { listeners: { networkPolicyPeers?: unknown[] }[] }).listeners;
    for (const l of listeners) expect(l.networkPolicyPeers?.length).toBeGreaterThan(0);
  });
});

describe("the console's KafkaUser", () => {
  const console = serviceRegistry.find((s) => s.name === "console");

  it("may read every catalog topic, join only its own throw-away groups, and describe the processors' groups", () => {
    expect(console?.kafka.browses?.groupPrefix).toBe(CONSOLE_GROUP_PREFIX);
    const acls = console ? kafkaAcls(console) : [];
    expect(acls).toContainEqual({
      type: "allow",
      resource: { type: "topic", name: "pings.dlq", patternType: "literal" },
      operations: ["Read", "Describe"],
    });
    expect(acls).toContainEqual({
      type: "allow",
      resource: { type: "group", name: CONSOLE_GROUP_PREFIX, patternType: "prefix" },
      operations: ["Read"],
    });
    // No group Read beyond its prefix: it cannot join (and disturb) a processor's group.
    const groupReads = acls.filter((a) => a.resource.type === "group" && a.operations.includes("Read"));
    expect(groupReads.map((a) => a.resource.name)).toEqual([CONSOLE_GROUP_PREFIX]);
  });
});
