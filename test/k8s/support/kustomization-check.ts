import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { parse } from "yaml";
import { yamlFilesUnder } from "./manifest-files.js";
import { repoRoot } from "./repo-paths.js";

const KUSTOMIZATION = "kustomization.yaml";

/** The manifest files a kustomization pulls in, following nested kustomization folders. */
function resourcesOf(dir: string, problems: string[]): string[] {
  const path = join(dir, KUSTOMIZATION);
  const kustomization = parse(readFileSync(path, "utf8")) as { kind?: unknown; resources?: unknown };
  if (kustomization.kind !== "Kustomization" || !Array.isArray(kustomization.resources)) {
    problems.push(`${relative(repoRoot, path)}: not a Kustomization with a resources list`);
    return [];
  }
  return kustomization.resources.flatMap((entry: unknown) => {
    const target = join(dir, String(entry));
    if (!existsSync(target)) {
      problems.push(`${relative(repoRoot, path)}: resource ${String(entry)} does not exist`);
      return [];
    }
    return statSync(target).isDirectory() ? resourcesOf(target, problems) : [target];
  });
}

/**
 * Checks that `kubectl apply -k` / skaffold deploys every manifest under the folder: each
 * listed resource exists and every YAML file (other than kustomizations) is listed by the
 * folder's kustomization or by one of `otherRoots` (kustomizations applied on their own, such
 * as k8s/monitoring).
 */
export function kustomizationProblems(k8sDir: string, otherRoots: readonly string[] = []): string[] {
  const problems: string[] = [];
  const listed = new Set([k8sDir, ...otherRoots].flatMap((root) => resourcesOf(root, problems)));
  for (const file of yamlFilesUnder(k8sDir)) {
    if (basename(file) === KUSTOMIZATION) continue;
    if (!listed.has(file)) {
      problems.push(`${relative(repoRoot, file)} is not listed in any kustomization`);
    }
  }
  return problems;
}
