import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo-paths.js";

/** k8s/scripts/required-secrets.tsv: Secrets made outside k8s/ (by prerequisites.sh), name -> keys. */
export function requiredSecrets(): Map<string, ReadonlySet<string>> {
  const text = readFileSync(join(repoRoot, "k8s", "scripts", "required-secrets.tsv"), "utf8");
  const rows = text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  return new Map(
    rows.map((row) => {
      const [name = "", keys = ""] = row.split("\t");
      return [name, new Set(keys.split(","))];
    }),
  );
}
