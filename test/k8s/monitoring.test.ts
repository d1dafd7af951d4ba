import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderKustomization } from "./support/kustomize-render.js";
import type { ManifestDoc } from "./support/manifest-files.js";
import {
  bracketProblem,
  checkPodMonitors,
  exportedTributaryMetrics,
  rulesOf,
  tributaryMetricsIn,
} from "./support/monitoring-checks.js";
import { repoRoot } from "./support/repo-paths.js";

const k8sDir = join(repoRoot, "k8s");
/**
 * Metrics the rules use that the code does not export yet, each with what must add it. The test
 * fails once one is exported (remove it here) and for any other unknown name.
 */
const PENDING_METRICS: Readonly<Record<string, string>> = {};
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

describe("k8s/monitoring", () => {
  const base = renderKustomization(k8sDir);
  const monitoring = renderKustomization(join(k8sDir, "monitoring"));
  const kinds = (docs: readonly ManifestDoc[]): string[] => docs.map((d) => (d.body as { kind: string }).kind);

  it("scrapes every service, Kafka (reporter and exporter) and CloudNativePG, each at a port that exists", () => {
    expect(kinds(monitoring).filter((k) => k === "PodMonitor").length).toBeGreaterThanOrEqual(8);
    expect(checkPodMonitors(monitoring, base)).toEqual([]);
  });

  it("alerts on lag, DLQ growth, failed callbacks, the PingCount fallback and WAL archiving", () => {
    const rules = rulesOf(monitoring);
    const exprs = rules.map((r) => r.rule.expr).join("\n");
    expect(exprs).toMatch(/tributary_consumergroup_lag/);
    expect(exprs).toMatch(/kafka_consumergroup_lag/);
    expect(exprs).toMatch(/tributary_processor_dead_letters_total/);
    expect(exprs).toMatch(/\\\.dlq/);
    expect(exprs).toMatch(/tributary_deliveries_total\{outcome="failed"\}/);
    expect(exprs).toMatch(/tributary_ping_count_reads_total\{source="postgres"\}/);
    expect(exprs).toMatch(/cnpg_pg_stat_archiver/);
    expect(
      rules.flatMap(({ where, rule }) => (bracketProblem(rule.expr) ? [`${where}: ${bracketProblem(rule.expr)}`] : [])),
    ).toEqual([]);
  });

  it("uses only tributary_* metrics the code exports (or listed as pending, with the owner)", () => {
    const exported = exportedTributaryMetrics();
    const used = rulesOf(monitoring).flatMap(({ where, rule }) =>
      tributaryMetricsIn(rule.expr).map((name) => ({ where, name: name.replace(HISTOGRAM_SUFFIX, "") })),
    );
    const unknown = used.filter(({ name }) => !exported.has(name) && PENDING_METRICS[name] === undefined);
    expect(unknown.map((u) => `${u.where}: ${u.name} is not exported by any service`)).toEqual([]);
    const nowExported = Object.keys(PENDING_METRICS).filter((name) => exported.has(name));
    expect(nowExported, "exported now: remove from PENDING_METRICS").toEqual([]);
  });

  it("reports a PodMonitor on a missing port or cluster and an unbalanced expression", () => {
    const monitor = (name: string, selector: object, port: string): ManifestDoc => ({
      file: "inline.yaml",
      index: 0,
      body: {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name },
        spec: { selector, podMetricsEndpoints: [{ port }] },
      },
    });
    expect(
      checkPodMonitors(
        [
          monitor("a", { matchLabels: { "app.kubernetes.io/name": "gateway" } }, "metricz"),
          monitor("b", { matchLabels: { "cnpg.io/cluster": "tributary-pq" } }, "metrics"),
          monitor("c", { matchLabels: { "strimzi.io/cluster": "kafka" } }, "tcp-prometheus"),
        ],
        base,
      ),
    ).toEqual([
      "inline.yaml#0 PodMonitor/a: Deployment gateway has no container port named metricz",
      "inline.yaml#0 PodMonitor/b: no Cluster tributary-pq",
      "inline.yaml#0 PodMonitor/c: no Kafka kafka",
    ]);
    expect(bracketProblem('sum(rate(x{a="("}[5m])')).toBe('unclosed "("');
    expect(bracketProblem('sum(rate(x{a=")"}[5m]))')).toBeUndefined();
  });
});
