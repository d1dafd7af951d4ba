import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DASHBOARD_PANELS } from "../../k8s/generate/grafana-dashboard.js";
import { serviceRegistry } from "../../services/registry.js";
import { portVariableOf } from "../../services/service-entry.js";
import { repoRoot } from "../helpers/stack-env.js";

/** Metric names a Prometheus text exposition declares (`# TYPE name kind`), with histogram/summary series. */
function declaredNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, kind] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (kind === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The tributary_* metric names a PromQL expression reads. */
function tributaryNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(tributary_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);
}

interface RuleFile {
  spec: { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
}

describe("dashboard and alert queries against the running services' /metrics", () => {
  it("reads only metric names some running service exports", async () => {
    const exported = new Set<string>();
    const unreachable: string[] = [];
    for (const service of serviceRegistry) {
      const port = process.env[portVariableOf(service)] ?? String(service.config.DEFAULT_HTTP_PORT);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
        expect(res.status, `${service.name} /metrics`).toBe(200);
        for (const name of declaredNames(await res.text())) exported.add(name);
      } catch (err) {
        unreachable.push(`${service.name} on ${port}: ${String(err)}`);
      }
    }
    expect(unreachable, "every service of the stack must be up (make up)").toEqual([]);

    const queries = DASHBOARD_PANELS.flatMap((p) => p.targets.map(([expr]) => ({ where: `panel "${p.title}"`, expr })));
    const rules = parse(readFileSync(join(repoRoot, "k8s", "monitoring", "rules.yaml"), "utf8")) as RuleFile;
    for (const group of rules.spec.groups) {
      for (const rule of group.rules) queries.push({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr });
    }
    expect(queries.length).toBeGreaterThan(10);
    const used = queries.flatMap(({ where, expr }) => tributaryNamesIn(expr).map((name) => ({ where, name })));
    expect(new Set(used.map((u) => u.name)).size).toBeGreaterThanOrEqual(10);
    const missing = used.filter(({ name }) => !exported.has(name)).map(({ where, name }) => `${where}: ${name}`);
    expect(missing).toEqual([]);
  });

  it("the check sees a name no service exports", () => {
    const exported = declaredNames("# HELP a_total x\n# TYPE a_total counter\n# TYPE h_seconds histogram\n");
    expect(exported.has("h_seconds_bucket")).toBe(true);
    expect(tributaryNamesIn('rate(tributary_nope_total{x="y"}[5m])').filter((n) => !exported.has(n))).toEqual([
      "tributary_nope_total",
    ]);
  });
});
