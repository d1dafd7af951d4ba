import { hasCoreModel, validateCoreObject } from "./core-models.js";
import { typeCheckResources } from "./core-type-check.js";
import type { ResourceValidator } from "./crd-validators.js";
import { describeDoc, type ManifestDoc } from "./manifest-files.js";

interface Resource {
  apiVersion: string;
  kind: string;
  metadata?: { name?: unknown };
}

function isResource(body: unknown): body is Resource {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const { apiVersion, kind } = body as { apiVersion?: unknown; kind?: unknown };
  return typeof apiVersion === "string" && typeof kind === "string";
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names become DNS labels (Service host names, namespace names). */
const LABEL_NAMED_KINDS = new Set(["Service", "Namespace"]);

function nameProblems(resource: Resource): string[] {
  const name = resource.metadata?.name;
  if (typeof name !== "string") return ["metadata.name is missing"];
  if (LABEL_NAMED_KINDS.has(resource.kind)) {
    return DNS_LABEL.test(name) && name.length <= 63 ? [] : [`metadata.name "${name}" is not a DNS-1035 label`];
  }
  return DNS_SUBDOMAIN.test(name) && name.length <= 253 ? [] : [`metadata.name "${name}" is not a DNS-1123 subdomain`];
}

/**
 * Validates Kubernetes documents without a cluster: custom resources against their CRD schemas,
 * core objects against the kubernetes-models schemas, unknown fields of both by a type check,
 * names, and duplicates. A kind with no schema is a problem, so nothing goes unchecked.
 * Returns one line per problem, each naming its file, document, kind and name.
 */
export async function validateManifests(
  docs: readonly ManifestDoc[],
  crdValidators: ReadonlyMap<string, ResourceValidator>,
): Promise<string[]> {
  const problems: string[] = [];
  const typeCheckInputs: { id: string; resource: Resource }[] = [];
  const seen = new Map<string, string>();
  for (const doc of docs) {
    const where = describeDoc(doc);
    const resource = doc.body;
    if (!isResource(resource)) {
      problems.push(`${where}: not a Kubernetes object (apiVersion and kind must be strings)`);
      continue;
    }
    const { apiVersion, kind } = resource;
    const key = `${apiVersion} ${kind} ${String(resource.metadata?.name)}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${where}: same object as ${first}`);
    seen.set(key, where);
    problems.push(...nameProblems(resource).map((m) => `${where}: ${m}`));

    const crd = crdValidators.get(`${apiVersion}/${kind}`);
    if (crd !== undefined) {
      problems.push(...crd(resource).map((m) => `${where}: ${m}`));
    } else if (hasCoreModel(apiVersion, kind)) {
      problems.push(...(await validateCoreObject(resource)).map((m) => `${where}: ${m}`));
    } else {
      problems.push(`${where}: no schema for ${apiVersion} ${kind} (add its CRD to crdFiles)`);
      continue;
    }
    typeCheckInputs.push({ id: where, resource });
  }
  for (const [id, messages] of typeCheckResources(typeCheckInputs)) {
    problems.push(...messages.map((m) => `${id}: ${m}`));
  }
  return problems;
}
