import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { formatAjvErrors } from "./ajv-errors.js";
import { describeDoc, loadManifestFile } from "./manifest-files.js";
import { sharedSchema } from "./repo-paths.js";

export const SKAFFOLD_API_VERSION = "skaffold/v4beta14";

/** Validates every document of a skaffold config against skaffold's own JSON schema for v4beta14. */
export function validateSkaffoldFile(path: string): string[] {
  const schema = JSON.parse(readFileSync(sharedSchema("skaffold-v4beta14.json"), "utf8")) as object;
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  const problems: string[] = [];
  const docs = loadManifestFile(path);
  if (docs.length === 0) problems.push(`${path}: no skaffold config`);
  for (const doc of docs) {
    const where = describeDoc(doc);
    const apiVersion = (doc.body as { apiVersion?: unknown }).apiVersion;
    if (apiVersion !== SKAFFOLD_API_VERSION) {
      problems.push(`${where}: apiVersion is ${String(apiVersion)}, expected ${SKAFFOLD_API_VERSION}`);
    }
    if (!validate(doc.body)) problems.push(...formatAjvErrors(validate.errors).map((m) => `${where}: ${m}`));
  }
  return problems;
}
