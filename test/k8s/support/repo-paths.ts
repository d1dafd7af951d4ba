import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is test/k8s/support/repo-paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * The CRD and skaffold schemas, kept beside the repository (CI clones the repo with shared/ next
 * to it) and read in place: they are upstream data files, not copied into the project.
 */
export const sharedSchemasDir = resolve(repoRoot, "..", "shared", "k8s-schemas");

export function sharedSchema(file: string): string {
  const path = join(sharedSchemasDir, file);
  if (!existsSync(path)) throw new Error(`missing schema ${path}: shared/ must sit beside the repository`);
  return path;
}
