import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "./repo-paths.js";

/** One YAML document of a manifest file. */
export interface ManifestDoc {
  /** Path relative to the repository root. */
  readonly file: string;
  /** Position of the document in its file, from 0. */
  readonly index: number;
  readonly body: unknown;
}

/** Every .yaml/.yml file under `dir`, recursively, sorted, as absolute paths. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The non-empty documents of a YAML file; throws on syntax errors and duplicate keys. */
export function loadManifestFile(path: string): ManifestDoc[] {
  const file = relative(repoRoot, path);
  const docs: ManifestDoc[] = [];
  parseAllDocuments(readFileSync(path, "utf8")).forEach((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${index}: ${doc.errors[0]?.message}`);
    const body: unknown = doc.toJS();
    if (body !== null && body !== undefined) docs.push({ file, index, body });
  });
  return docs;
}

/** A short, unique name for messages: `k8s/services/gateway.yaml#1 Deployment/gateway`. */
export function describeDoc(doc: ManifestDoc): string {
  const body = doc.body as { kind?: unknown; metadata?: { name?: unknown } };
  return `${doc.file}#${doc.index} ${String(body.kind)}/${String(body.metadata?.name)}`;
}
