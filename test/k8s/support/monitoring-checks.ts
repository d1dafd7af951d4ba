import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { describeDoc, type ManifestDoc } from "./manifest-files.js";
import { repoRoot } from "./repo-paths.js";

interface Body {
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
}

interface PodMonitorSpec {
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  podMetricsEndpoints: { port: string }[];
}

/** Label values a selector accepts for a key (matchLabels or an `In` expression). */
function wanted(selector: PodMonitorSpec["selector"], key: string): string[] {
  const label = selector.matchLabels?.[key];
  const expression = selector.matchExpressions?.find((e) => e.key === key && e.operator === "In");
  return [...(label === undefined ? [] : [label]), ...(expression?.values ?? [])];
}

/**
 * Each PodMonitor scrapes something the base renders: pods of a Deployment with the named
 * container port, a CloudNativePG Cluster, or a Strimzi Kafka whose metrics reporter / Kafka
 * Exporter is enabled (both serve `tcp-prometheus`).
 */
export function checkPodMonitors(monitors: readonly ManifestDoc[], base: readonly ManifestDoc[]): string[] {
  const problems: string[] = [];
  const bodies = base.map((d) => d.body as Body);
  const named = (kind: string, name: string): Body | undefined =>
    bodies.find((b) => b.kind === kind && b.metadata?.name === name);
  for (const doc of monitors) {
    const body = doc.body as Body;
    if (body.kind !== "PodMonitor") continue;
    const where = describeDoc(doc);
    const spec = body.spec as unknown as PodMonitorSpec;
    const ports = spec.podMetricsEndpoints.map((e) => e.port);
    const app = wanted(spec.selector, "app.kubernetes.io/name");
    const cnpg = wanted(spec.selector, "cnpg.io/cluster");
    const strimzi = wanted(spec.selector, "strimzi.io/cluster");
    if (app.length > 0) {
      for (const name of app) {
        const template = (named("Deployment", name)?.spec as { template?: IPodTemplateSpec } | undefined)?.template;
        const containerPorts = (template?.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name));
        if (template === undefined) problems.push(`${where}: no Deployment ${name} to scrape`);
        for (const port of ports) {
          if (template !== undefined && !containerPorts.includes(port)) {
            problems.push(`${where}: Deployment ${name} has no container port named ${port}`);
          }
        }
      }
    } else if (cnpg.length > 0) {
      for (const name of cnpg) if (named("Cluster", name) === undefined) problems.push(`${where}: no Cluster ${name}`);
      if (!ports.every((p) => p === "metrics"))
        problems.push(`${where}: CloudNativePG serves metrics on port "metrics"`);
    } else if (strimzi.length > 0) {
      for (const cluster of strimzi) {
        const kafka = named("Kafka", cluster)?.spec as
          | { kafka?: { metricsConfig?: unknown }; kafkaExporter?: unknown }
          | undefined;
        if (kafka === undefined) {
          problems.push(`${where}: no Kafka ${cluster}`);
          continue;
        }
        const names = wanted(spec.selector, "strimzi.io/name");
        if (names.includes(`${cluster}-kafka`) && kafka.kafka?.metricsConfig === undefined) {
          problems.push(`${where}: Kafka ${cluster} has no metricsConfig, its brokers serve no metrics`);
        }
        if (names.includes(`${cluster}-kafka-exporter`) && kafka.kafkaExporter === undefined) {
          problems.push(`${where}: Kafka ${cluster} has no kafkaExporter`);
        }
      }
      if (!ports.every((p) => p === "tcp-prometheus"))
        problems.push(`${where}: Strimzi serves metrics on tcp-prometheus`);
    } else {
      problems.push(
        `${where}: selector matches nothing this check knows (app.kubernetes.io/name, cnpg.io/cluster, strimzi.io/cluster)`,
      );
    }
  }
  return problems;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

/** Every alerting/recording rule of the PrometheusRules, with where it is. */
export function rulesOf(docs: readonly ManifestDoc[]): { where: string; rule: Rule }[] {
  return docs.flatMap((doc) => {
    const body = doc.body as Body & { spec?: { groups?: { name: string; rules: Rule[] }[] } };
    if (body.kind !== "PrometheusRule") return [];
    return (body.spec?.groups ?? []).flatMap((g) =>
      g.rules.map((rule) => ({ where: `${describeDoc(doc)} ${g.name}/${rule.alert ?? rule.record}`, rule })),
    );
  });
}

/** Unbalanced (), [] or {} in a PromQL expression (outside string literals). */
export function bracketProblem(expr: string): string | undefined {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] as string;
    if (quote !== undefined) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("([{".includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return `unbalanced "${c}" at ${i}`;
  }
  if (quote !== undefined) return "unterminated string";
  return stack.length > 0 ? `unclosed "${stack[stack.length - 1]}"` : undefined;
}

/** The `tributary_*` metric names a PromQL expression uses. */
export function tributaryMetricsIn(expr: string): string[] {
  return [...new Set(expr.match(/\btributary_[a-z0-9_]+/g) ?? [])];
}

/** Metric names the code registers: string literals "tributary_..." in non-test TypeScript. */
export function exportedTributaryMetrics(): Set<string> {
  const names = new Set<string>();
  for (const top of ["runtime", "producers", "processors", "sinks"]) {
    for (const entry of readdirSync(join(repoRoot, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts") || /\.(spec|test)\.ts$/.test(entry.name)) continue;
      const text = readFileSync(join(entry.parentPath, entry.name), "utf8");
      for (const match of text.matchAll(/["'`](tributary_[a-z0-9_]+)["'`]/g)) names.add(match[1] as string);
    }
  }
  return names;
}
