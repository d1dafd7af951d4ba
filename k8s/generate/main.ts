/**
 * Writes k8s/kafka/topics.yaml from the topic catalog, or with `--check` exits 1 when the
 * committed file differs. Run through `npm run k8s:topics` (compiles this folder first).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { renderKafkaTopics } from "./kafka-topics.js";

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

const target = join(repoRoot(), "k8s", "kafka", "topics.yaml");
const text = renderKafkaTopics(topicCatalog);
const shown = relative(process.cwd(), target);
if (process.argv.includes("--check")) {
  const current = existsSync(target) ? readFileSync(target, "utf8") : "";
  if (current !== text) {
    process.stderr.write(`${shown} differs from the topic catalog: run \`npm run k8s:topics\`\n`);
    process.exit(1);
  }
  process.stdout.write(`${shown} matches the topic catalog (${topicCatalog.length} topics)\n`);
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${shown}: ${topicCatalog.length} KafkaTopics\n`);
}
