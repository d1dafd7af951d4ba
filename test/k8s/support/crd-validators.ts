import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { formatAjvErrors } from "./ajv-errors.js";
import { type JsonSchema, toAjvSchema } from "./openapi-to-ajv.js";

/** The CRD files (in ../shared/k8s-schemas) whose resources k8s/ may use. */
export const crdFiles: readonly string[] = [
  "strimzi-040-Crd-kafka.yaml",
  "strimzi-043-Crd-kafkatopic.yaml",
  "strimzi-044-Crd-kafkauser.yaml",
  "strimzi-045-Crd-kafkanodepool.yaml",
  "cnpg-clusters.yaml",
  "cnpg-databases.yaml",
  "dragonfly-dragonflies.yaml",
];

interface CrdDocument {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: JsonSchema } }[];
  };
}

/** Validates a custom resource; returns one message per problem (empty when valid). */
export type ResourceValidator = (resource: unknown) => string[];

/**
 * One validator per served version of each CRD, keyed `<group>/<version>/<Kind>` (the resource's
 * apiVersion and kind). Each checks the version's openAPIV3Schema as the API server would.
 */
export function loadCrdValidators(paths: readonly string[]): Map<string, ResourceValidator> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ResourceValidator>();
  for (const path of paths) {
    const crd = parse(readFileSync(path, "utf8")) as CrdDocument;
    if (crd.kind !== "CustomResourceDefinition") throw new Error(`${path} is not a CustomResourceDefinition`);
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (version.served === false || schema === undefined) continue;
      const compiled: ValidateFunction = ajv.compile(toAjvSchema(schema));
      validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, (resource) =>
        compiled(resource) ? [] : formatAjvErrors(compiled.errors),
      );
    }
  }
  return validators;
}
