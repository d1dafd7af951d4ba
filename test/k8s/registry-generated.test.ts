import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedDrift, generatedFiles } from "../../k8s/generate/generated-files.js";
import { renderServiceManifest } from "../../k8s/generate/service-manifests.js";
import { serviceRegistry } from "../../services/registry.js";
import { renderStackTable } from "../../services/stack-table.js";
import { repoRoot } from "./support/repo-paths.js";

describe("files generated from services/registry.ts and the topic catalog", () => {
  it("are committed exactly as `npm run generate:registry` writes them", () => {
    expect(generatedDrift(repoRoot), "stale generated files: run `npm run generate:registry`").toEqual([]);
  });

  it("declare each service once, in the folder its role names", () => {
    const names = serviceRegistry.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const ports = serviceRegistry.map((s) => s.config.DEFAULT_HTTP_PORT);
    expect(new Set(ports).size).toBe(ports.length);
    for (const service of serviceRegistry) {
      // The console is one folder of its own (console/), not a flow.
      expect(service.role === "console" ? "console" : `${service.role}s`, service.name).toBe(service.dir.split("/")[0]);
      for (const key of Object.keys(service.deploy.settings)) expect(service.config.ENV_VARS).toContain(key);
    }
  });

  it("drift check reports a changed, a missing and a stray file", () => {
    const copy = mkdtempSync(join(tmpdir(), "tributary-registry-"));
    try {
      for (const file of generatedFiles()) {
        cpSync(join(repoRoot, file.path), join(copy, file.path), { recursive: true });
      }
      cpSync(join(repoRoot, "k8s/services/platform-config.yaml"), join(copy, "k8s/services/platform-config.yaml"));
      expect(generatedDrift(copy)).toEqual([]);
      const [first, second] = serviceRegistry;
      const changed = { ...first, deploy: { ...first.deploy, replicas: first.deploy.replicas + 1 } };
      writeFileSync(join(copy, `k8s/services/${first.name}.yaml`), renderServiceManifest(changed));
      rmSync(join(copy, `k8s/services/${second.name}.yaml`));
      writeFileSync(join(copy, "k8s/services/forgotten.yaml"), "kind: ConfigMap\n");
      writeFileSync(join(copy, "stack/services.tsv"), renderStackTable([first]));
      expect(generatedDrift(copy)).toEqual([
        `k8s/services/${first.name}.yaml differs from its source`,
        `k8s/services/${second.name}.yaml is missing`,
        "stack/services.tsv differs from its source",
        "k8s/services/forgotten.yaml is not generated from any registry entry (a removed service?)",
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
