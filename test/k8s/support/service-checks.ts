import { existsSync } from "node:fs";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IService } from "kubernetes-models/v1/Service";
import { DEFAULT_HEAP_MIB, entryPointOf, type ServiceEntry } from "../../../services/service-entry.js";
import { parseImage } from "./kustomize-render.js";
import type { ManifestDoc } from "./manifest-files.js";
import { repoRoot } from "./repo-paths.js";

/** The one image all Tributary Deployments run (skaffold.yaml's artifact). */
export const SERVICE_IMAGE = "tributary";
/** The runtime's shutdown grace is 25 s (runtime/lifecycle/shutdown.ts), plus a preStop pause and margin. */
export const MIN_TERMINATION_GRACE_SECONDS = 40;
const HEALTH_PATH = "/healthz";
const READY_PATH = "/readyz";

type Labels = Readonly<Record<string, string>> | undefined;

function objectsOfKind<T>(docs: readonly ManifestDoc[], kind: string): T[] {
  return docs.map((d) => d.body as { kind?: unknown }).filter((b) => b.kind === kind) as T[];
}

/** Whether every label a selector requires is on the pod template. */
function selects(selector: Labels, podLabels: Labels): boolean {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => podLabels?.[k] === v);
}

/** The variables a container ends up with: envFrom ConfigMaps first, then env (which wins). */
function containerEnv(
  container: IContainer,
  configMaps: readonly IConfigMap[],
  problem: (message: string) => void,
): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? "";
    if (source.configMapRef !== undefined) {
      const name = source.configMapRef.name;
      const configMap = configMaps.find((c) => c.metadata?.name === name);
      if (configMap === undefined) {
        problem(`envFrom names ConfigMap "${name}", which is not in k8s/`);
        continue;
      }
      for (const [key, value] of Object.entries(configMap.data ?? {})) env.set(`${prefix}${key}`, value);
    }
    if (source.secretRef !== undefined) {
      // Operator-made Secrets (CloudNativePG's) are not in k8s/, so their keys cannot be checked
      // against the service's variables: take single keys with env[].valueFrom.secretKeyRef.
      problem(`envFrom names Secret "${source.secretRef.name}": use env valueFrom.secretKeyRef per variable`);
    }
  }
  for (const variable of container.env ?? []) env.set(variable.name, variable.value);
  return env;
}

function resolvePort(port: number | string | undefined, container: IContainer): number | undefined {
  if (typeof port === "number") return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Checks each deployed service's Deployment against the service's own config.ts: every variable
 * it sets (env and the ConfigMaps it loads) is one the service reads (ENV_VARS); it runs the
 * service's entry point from the one image; it listens on a non-loopback address at the port the
 * probes, the container port and the Service use; probes hit /readyz and /healthz; resources,
 * grace period, Service and (for processors and sinks) a PodDisruptionBudget are there.
 */
export function checkServices(docs: readonly ManifestDoc[], services: readonly ServiceEntry[]): string[] {
  const problems: string[] = [];
  const deployments = objectsOfKind<IDeployment>(docs, "Deployment");
  const configMaps = objectsOfKind<IConfigMap>(docs, "ConfigMap");
  const k8sServices = objectsOfKind<IService>(docs, "Service");
  const budgets = objectsOfKind<IPodDisruptionBudget>(docs, "PodDisruptionBudget");
  const names = new Set(services.map((s) => s.config.SERVICE_NAME));

  for (const deployment of deployments) {
    const images = deployment.spec?.template.spec?.containers.map((c) => parseImage(c.image ?? "").name) ?? [];
    const name = deployment.metadata?.name ?? "";
    if (images.includes(SERVICE_IMAGE) && !names.has(name)) {
      problems.push(`Deployment/${name} runs the ${SERVICE_IMAGE} image but is not in services/registry.ts`);
    }
  }

  for (const service of services) {
    const name = service.config.SERVICE_NAME;
    const problem = (message: string): void => {
      problems.push(`Deployment/${name} (${service.dir}): ${message}`);
    };
    if (!existsSync(join(repoRoot, service.dir, "main.ts"))) problem(`${service.dir}/main.ts does not exist`);
    const matching = deployments.filter((d) => d.metadata?.name === name);
    const deployment = matching[0];
    if (matching.length !== 1 || deployment === undefined) {
      problem(`expected exactly one Deployment named ${name}, found ${matching.length}`);
      continue;
    }
    const podSpec = deployment.spec?.template.spec;
    const podLabels = deployment.spec?.template.metadata?.labels;
    if (!selects(deployment.spec?.selector.matchLabels, podLabels)) {
      problem("spec.selector.matchLabels do not select the pod template's labels");
    }
    const grace = podSpec?.terminationGracePeriodSeconds ?? 30;
    if (grace < MIN_TERMINATION_GRACE_SECONDS) {
      problem(`terminationGracePeriodSeconds ${grace} < ${MIN_TERMINATION_GRACE_SECONDS}: SIGKILL would cut the flush`);
    }
    const container = podSpec?.containers.find((c) => c.name === name);
    if (container === undefined) {
      problem(`no container named ${name}`);
      continue;
    }
    if (parseImage(container.image ?? "").name !== SERVICE_IMAGE) {
      problem(`image is ${container.image}, expected ${SERVICE_IMAGE}[:tag]`);
    }
    const command = JSON.stringify(container.command ?? []);
    const heapMiB = service.deploy.heapMiB ?? DEFAULT_HEAP_MIB;
    const expected = JSON.stringify(["node", `--max-old-space-size=${heapMiB}`, entryPointOf(service)]);
    if (command !== expected) problem(`command is ${command}, expected ${expected}`);
    // The V8 heap limit must be reached before the container's: else the kernel kills the pod
    // (OOMKilled) before V8 collects harder. Node's own RSS outside the old space is ≈ 100 MiB here.
    const limitMiB = mebibytes(container.resources?.limits?.memory);
    if (limitMiB === undefined || limitMiB < heapMiB + 128) {
      problem(
        `memory limit ${container.resources?.limits?.memory} leaves < 128 MiB above the ${heapMiB} MiB heap limit`,
      );
    }

    const env = containerEnv(container, configMaps, problem);
    const accepted = new Set(service.config.ENV_VARS);
    for (const variable of env.keys()) {
      if (!accepted.has(variable)) problem(`sets ${variable}, which ${service.dir}/config.ts does not read (ENV_VARS)`);
    }
    if (env.has("HTTP_PORT") && env.get("HTTP_PORT") === undefined) problem("HTTP_PORT must be a literal value");
    const httpPort = Number(env.get("HTTP_PORT") ?? service.config.DEFAULT_HTTP_PORT);
    const host = env.get("HTTP_HOST");
    if (host !== "0.0.0.0" && host !== "::") {
      problem(`HTTP_HOST is ${host ?? "unset (127.0.0.1)"}: probes and Services cannot reach a loopback listener`);
    }
    if (!container.ports?.some((p) => p.containerPort === httpPort)) {
      problem(`no containerPort ${httpPort} (the port the service listens on)`);
    }
    const probes = [
      ["readinessProbe", container.readinessProbe, [READY_PATH]],
      ["livenessProbe", container.livenessProbe, [HEALTH_PATH]],
      ["startupProbe", container.startupProbe, [HEALTH_PATH, READY_PATH]],
    ] as const;
    for (const [field, probe, paths] of probes) {
      if (probe === undefined) {
        if (field !== "startupProbe") problem(`${field} is missing`);
        continue;
      }
      const path = probe.httpGet?.path;
      if (path === undefined || !(paths as readonly string[]).includes(path)) {
        problem(`${field} path is ${path ?? "not an httpGet"}, expected ${paths.join(" or ")}`);
      }
      const port = resolvePort(probe.httpGet?.port, container);
      if (port !== httpPort)
        problem(`${field} port resolves to ${port ?? "nothing"}, the service listens on ${httpPort}`);
    }
    const resources = container.resources;
    for (const [kind, values] of [
      ["requests", resources?.requests],
      ["limits", resources?.limits],
    ] as const) {
      for (const resource of ["cpu", "memory"]) {
        if (values?.[resource] === undefined) problem(`resources.${kind}.${resource} is missing`);
      }
    }

    const k8sService = k8sServices.find((s) => s.metadata?.name === name);
    if (k8sService === undefined) {
      problem(`no Service named ${name}`);
    } else {
      if (!selects(k8sService.spec?.selector, podLabels)) problem(`Service/${name} does not select its pods`);
      const targets = (k8sService.spec?.ports ?? []).map((p) => resolvePort(p.targetPort ?? p.port, container));
      if (!targets.includes(httpPort)) problem(`Service/${name} has no port targeting ${httpPort}`);
    }
    const role = service.role;
    if (role !== "producer" && !budgets.some((b) => selects(b.spec?.selector?.matchLabels, podLabels))) {
      problem(`no PodDisruptionBudget selects the pods of this ${role}`);
    }
  }
  return problems;
}

/** "512Mi" / "1Gi" in MiB; undefined for anything else. */
function mebibytes(quantity: string | number | undefined): number | undefined {
  const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity ?? ""));
  if (match === null) return undefined;
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
}
