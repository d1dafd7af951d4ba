/**
 * Writes the files generated from the topic catalog and the service registry
 * (k8s/kafka/topics.yaml, k8s/services/<service>.yaml + kustomization.yaml, stack/services.tsv),
 * or with `--check` exits 1 when a committed file differs. Run through `npm run generate:registry`
 * (or its older name `npm run k8s:topics`), which compiles this folder first.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedDrift, generatedFiles } from "./generated-files.js";

/** The repository root: the first folder above this module holding k8s/kustomization.yaml. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "k8s", "kustomization.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root (k8s/kustomization.yaml)");
    dir = parent;
  }
}

const root = repoRoot();
if (process.argv.includes("--check")) {
  const drift = generatedDrift(root);
  if (drift.length > 0) {
    process.stderr.write(
      `${drift.join("\n")}\nrun \`npm run generate:registry\` (and delete files it no longer writes)\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${generatedFiles().length} generated files match the catalog and the service registry\n`);
} else {
  for (const file of generatedFiles()) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.text);
    process.stdout.write(`wrote ${file.path}\n`);
  }
}
