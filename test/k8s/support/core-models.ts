import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ErrorObject } from "ajv";
import { formatAjvErrors } from "./ajv-errors.js";
import { repoRoot } from "./repo-paths.js";

/** A kubernetes-models class: validate() throws with every schema error in its message. */
interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Whether `kubernetes-models` ships a model (runtime schema and TS type) for apiVersion/kind. */
export function hasCoreModel(apiVersion: string, kind: string): boolean {
  return /^[A-Za-z0-9]+$/.test(kind) && existsSync(coreModelTypesPath(apiVersion, kind));
}

/** Path of the model's declaration file, e.g. node_modules/kubernetes-models/apps/v1/Deployment.d.ts. */
export function coreModelTypesPath(apiVersion: string, kind: string): string {
  return join(repoRoot, "node_modules", "kubernetes-models", apiVersion, `${kind}.d.ts`);
}

/**
 * Validates a core object (Deployment, Service, ConfigMap, ...) against the Kubernetes OpenAPI
 * schema that `kubernetes-models` compiled: types, enums, required fields. It ignores unknown
 * fields (the upstream schemas allow them); core-type-check.ts catches those.
 */
export async function validateCoreObject(resource: { apiVersion: string; kind: string }): Promise<string[]> {
  const module = (await import(
    /* @vite-ignore */ `kubernetes-models/${resource.apiVersion}/${resource.kind}`
  )) as Record<string, ModelClass>;
  const Model = module[resource.kind];
  if (Model === undefined) return [`kubernetes-models has no ${resource.kind} in ${resource.apiVersion}`];
  try {
    new Model(resource).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: ErrorObject[] }).errors;
    return errors === undefined ? [String(err)] : formatAjvErrors(errors);
  }
}
