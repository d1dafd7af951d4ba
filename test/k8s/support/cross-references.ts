import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { hostReferences, serviceNameOf } from "./host-references.js";
import { parseImage } from "./kustomize-render.js";
import { describeDoc, type ManifestDoc } from "./manifest-files.js";
import { type Endpoint, operatorEndpoints, operatorSecrets, type SecretSource } from "./operator-objects.js";

interface Resource {
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface Workload {
  readonly where: string;
  readonly template: IPodTemplateSpec;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

function workloadsOf(docs: readonly ManifestDoc[]): Workload[] {
  return docs.flatMap((doc) => {
    const body = doc.body as Resource & { spec?: { template?: IPodTemplateSpec } };
    const template = body.spec?.template;
    return WORKLOAD_KINDS.has(String(body.kind)) && template !== undefined
      ? [{ where: describeDoc(doc), template }]
      : [];
  });
}

function containersOf(template: IPodTemplateSpec): IContainer[] {
  return [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])];
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => labels?.[k] === v);
}

/** Every `{name, key}` under a property naming a Secret or credentials, with the path to it. */
function secretKeyRefs(node: unknown, path: string[] = []): { path: string; name: string; key?: string }[] {
  if (typeof node !== "object" || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, i) => secretKeyRefs(item, [...path, String(i)]));
  const record = node as Record<string, unknown>;
  const found: { path: string; name: string; key?: string }[] = [];
  const last = path[path.length - 1] ?? "";
  const underSecret = /secret/i.test(last) || path.some((p) => /credentials/i.test(p));
  const isConfigMapRef = /configmap/i.test(last);
  if (underSecret && !isConfigMapRef && typeof record.name === "string") {
    const key = typeof record.key === "string" ? record.key : undefined;
    found.push({ path: path.join("."), name: record.name, ...(key === undefined ? {} : { key }) });
  }
  for (const [k, v] of Object.entries(record)) found.push(...secretKeyRefs(v, [...path, k]));
  return found;
}

/** Extra keys a reference implies: CloudNativePG's passwordSecret must hold username and password. */
function impliedKeys(path: string): string[] {
  return /passwordSecret$/.test(path) ? ["username", "password"] : [];
}

function imageProblem(image: string): string | undefined {
  const { tag, digest } = parseImage(image);
  if (digest !== undefined) return undefined;
  if (tag === undefined) return `image ${image} has no tag (means :latest, pulled Always)`;
  if (tag === "latest") return `image ${image} is :latest`;
  return undefined;
}

/** Images in custom resources (operator-run pods), by kind: the field that pins them. */
function crImages(body: Resource): string[] {
  const spec = body.spec ?? {};
  if (body.kind === "Cluster" && typeof spec.imageName === "string") return [spec.imageName];
  if (body.kind === "Dragonfly" && typeof spec.image === "string") return [spec.image];
  return [];
}

export interface CrossReferenceOptions {
  /** Secrets made outside k8s/ (k8s/scripts/required-secrets.tsv): name -> keys. */
  readonly externalSecrets: ReadonlyMap<string, ReadonlySet<string>>;
  /** Kinds whose image must be set in the CR (operators otherwise pick one that moves). */
  readonly pinnedImageKinds?: readonly string[];
}

/**
 * Checks that the rendered objects point at each other: hosts and ports in ConfigMaps and env
 * values resolve to a rendered or operator-made Service and one of its ports; each Service's
 * target ports exist on the pods it selects; Secret and ConfigMap references (and their keys)
 * exist, are operator-made, or are declared external; Ingress backends and PodMonitors hit a
 * Service port / pod port; every image is pinned (tag other than latest, or digest).
 */
export function checkCrossReferences(docs: readonly ManifestDoc[], options: CrossReferenceOptions): string[] {
  const problems: string[] = [];
  const bodies = docs.map((d) => d.body as Resource);
  const workloads = workloadsOf(docs);
  const namespace = bodies.find((b) => b.metadata?.namespace !== undefined)?.metadata?.namespace ?? "default";

  const endpoints = new Map<string, Endpoint>(operatorEndpoints(bodies));
  const servicePorts = new Map<string, { name?: string; port: number }[]>();
  for (const doc of docs) {
    const body = doc.body as Resource & {
      spec?: { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: unknown }[] };
    };
    if (body.kind !== "Service") continue;
    const name = body.metadata?.name ?? "";
    const ports = body.spec?.ports ?? [];
    servicePorts.set(name, ports);
    endpoints.set(name, { ports: new Set(ports.map((p) => p.port)), origin: `Service/${name}` });
    const pods = workloads.filter((w) => selects(body.spec?.selector, w.template.metadata?.labels));
    if (pods.length === 0) {
      problems.push(`${describeDoc(doc)}: selects no pod template in the rendered output`);
      continue;
    }
    for (const port of ports) {
      const target = port.targetPort ?? port.port;
      for (const pod of pods) {
        const has = containersOf(pod.template).some((c) =>
          (c.ports ?? []).some((p) => (typeof target === "number" ? p.containerPort === target : p.name === target)),
        );
        if (!has)
          problems.push(`${describeDoc(doc)}: targetPort ${String(target)} is no container port of ${pod.where}`);
      }
    }
  }

  const checkHosts = (where: string, variable: string, value: string): void => {
    for (const { host, port } of hostReferences(value)) {
      const name = serviceNameOf(host, namespace);
      const endpoint = name === undefined ? undefined : endpoints.get(name);
      if (endpoint === undefined) {
        problems.push(`${where}: ${variable}=${value}: host ${host} is not a Service in the rendered output`);
      } else if (!endpoint.ports.has(port)) {
        const known = [...endpoint.ports].join(", ");
        problems.push(`${where}: ${variable}=${value}: ${endpoint.origin} has no port ${port} (ports: ${known})`);
      }
    }
  };

  const secrets = new Map<string, SecretSource>(operatorSecrets(bodies));
  const configMaps = new Map<string, ReadonlySet<string>>();
  for (const body of bodies) {
    const name = body.metadata?.name ?? "";
    const keys = new Set([...Object.keys(body.data ?? {}), ...Object.keys(body.stringData ?? {})]);
    if (body.kind === "Secret") secrets.set(name, { keys, origin: `Secret/${name}` });
    if (body.kind === "ConfigMap") configMaps.set(name, keys);
  }
  for (const [name, keys] of options.externalSecrets) {
    if (!secrets.has(name)) secrets.set(name, { keys, origin: `${name} (k8s/scripts/required-secrets.tsv)` });
  }
  const referencedSecrets = new Set<string>();

  for (const doc of docs) {
    const where = describeDoc(doc);
    const body = doc.body as Resource;
    if (body.kind === "ConfigMap") {
      for (const [key, value] of Object.entries(body.data ?? {})) checkHosts(where, key, value);
    }
    for (const ref of secretKeyRefs(body)) {
      referencedSecrets.add(ref.name);
      const secret = secrets.get(ref.name);
      if (secret === undefined) {
        problems.push(`${where}: ${ref.path} names Secret ${ref.name}, which nothing creates`);
        continue;
      }
      for (const key of [...(ref.key === undefined ? [] : [ref.key]), ...impliedKeys(ref.path)]) {
        if (!secret.keys.has(key)) problems.push(`${where}: ${ref.path}: ${secret.origin} has no key ${key}`);
      }
    }
    for (const image of crImages(body)) {
      const problem = imageProblem(image);
      if (problem !== undefined) problems.push(`${where}: ${problem}`);
    }
    if ((options.pinnedImageKinds ?? []).includes(String(body.kind)) && crImages(body).length === 0) {
      problems.push(`${where}: sets no image, so the operator's default (which moves with it) runs`);
    }
  }

  for (const workload of workloads) {
    for (const container of containersOf(workload.template)) {
      const where = `${workload.where} container ${container.name}`;
      const problem = imageProblem(container.image ?? "");
      if (problem !== undefined) problems.push(`${where}: ${problem}`);
      for (const variable of container.env ?? []) {
        if (variable.value !== undefined) checkHosts(where, variable.name, variable.value);
        const ref = variable.valueFrom?.configMapKeyRef;
        if (ref !== undefined && !configMaps.get(ref.name ?? "")?.has(ref.key) && ref.optional !== true) {
          problems.push(`${where}: ${variable.name} reads ConfigMap ${ref.name} key ${ref.key}, which does not exist`);
        }
      }
      for (const source of container.envFrom ?? []) {
        const name = source.configMapRef?.name;
        if (name !== undefined && !configMaps.has(name)) {
          problems.push(`${where}: envFrom names ConfigMap ${name}, which is not rendered`);
        }
      }
    }
  }

  for (const doc of docs) {
    const body = doc.body as Resource;
    if (body.kind !== "Ingress") continue;
    const rules = (body.spec?.rules ?? []) as {
      http?: { paths?: { backend?: { service?: { name: string; port: { name?: string; number?: number } } } }[] };
    }[];
    for (const backend of rules.flatMap((r) => r.http?.paths ?? []).map((p) => p.backend?.service)) {
      if (backend === undefined) continue;
      const ports = servicePorts.get(backend.name);
      const { name, number } = backend.port;
      if (ports === undefined) problems.push(`${describeDoc(doc)}: backend Service ${backend.name} is not rendered`);
      else if (!ports.some((p) => (name !== undefined ? p.name === name : p.port === number))) {
        problems.push(`${describeDoc(doc)}: Service ${backend.name} has no port ${name ?? number}`);
      }
    }
  }

  for (const [name] of options.externalSecrets) {
    if (!referencedSecrets.has(name)) problems.push(`required-secrets.tsv lists ${name}, which nothing references`);
  }
  return problems;
}
