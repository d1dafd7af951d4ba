import { readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { loadManifestFile, type ManifestDoc } from "./manifest-files.js";
import { repoRoot } from "./repo-paths.js";

/** A kustomization `images:` entry (the fields kustomize's image transformer reads). */
interface ImageOverride {
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
}

interface Kustomization {
  readonly namespace?: string;
  readonly resources?: readonly string[];
  readonly images?: readonly ImageOverride[];
}

/** The kustomization fields this renderer implements; any other makes it refuse, not guess. */
const SUPPORTED = new Set(["apiVersion", "kind", "namespace", "resources", "images"]);
/** Cluster-scoped kinds among those k8s/ uses (kustomize leaves their namespace unset). */
const CLUSTER_SCOPED = new Set(["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"]);

/** Splits `repo/name:tag@sha256:...` into its parts (a registry port is not a tag). */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withTag = "", digest] = image.split("@", 2);
  const slash = withTag.lastIndexOf("/");
  const colon = withTag.lastIndexOf(":");
  const hasTag = colon > slash;
  return {
    name: hasTag ? withTag.slice(0, colon) : withTag,
    ...(hasTag ? { tag: withTag.slice(colon + 1) } : {}),
    ...(digest === undefined ? {} : { digest }),
  };
}

function overrideImage(image: string, overrides: readonly ImageOverride[]): string {
  const parsed = parseImage(image);
  const entry = overrides.find((o) => o.name === parsed.name);
  if (entry === undefined) return image;
  const name = entry.newName ?? parsed.name;
  if (entry.digest !== undefined) return `${name}@${entry.digest}`;
  const tag = entry.newTag ?? parsed.tag;
  const digest = entry.newTag === undefined ? parsed.digest : undefined;
  return `${name}${tag === undefined ? "" : `:${tag}`}${digest === undefined ? "" : `@${digest}`}`;
}

/** Kustomize's default image field specs: `image` of every `containers[]`/`initContainers[]`, at any depth. */
function rewriteImages(node: unknown, overrides: readonly ImageOverride[]): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteImages(item, overrides);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if ((key === "containers" || key === "initContainers") && Array.isArray(value)) {
      for (const container of value as { image?: unknown }[]) {
        if (typeof container.image === "string") container.image = overrideImage(container.image, overrides);
      }
    }
    rewriteImages(value, overrides);
  }
}

/**
 * What `kustomize build <dir>` (`kubectl kustomize`) outputs for the subset of kustomize that
 * k8s/ uses: `resources` (files and nested kustomization folders), `namespace` and `images`,
 * applied innermost first. A kustomization with any other field is refused, so the renderer
 * cannot silently diverge from kustomize; test/k8s/rendered.test.ts compares the two whenever
 * kubectl is on the PATH. Documents keep the file they came from, for messages.
 */
export function renderKustomization(dir: string): ManifestDoc[] {
  const path = join(dir, "kustomization.yaml");
  const where = relative(repoRoot, path);
  const raw = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const unsupported = Object.keys(raw).filter((k) => !SUPPORTED.has(k));
  if (unsupported.length > 0) {
    throw new Error(`${where}: the renderer does not implement ${unsupported.join(", ")} (extend kustomize-render.ts)`);
  }
  const kustomization = raw as Kustomization;
  const docs = (kustomization.resources ?? []).flatMap((entry) => {
    const target = join(dir, entry);
    return statSync(target).isDirectory() ? renderKustomization(target) : loadManifestFile(target);
  });
  return docs.map((doc) => {
    const body = structuredClone(doc.body) as { kind?: string; metadata?: { namespace?: string } };
    if (kustomization.namespace !== undefined && !CLUSTER_SCOPED.has(String(body.kind))) {
      body.metadata = { ...body.metadata, namespace: kustomization.namespace };
    }
    if (kustomization.images !== undefined) rewriteImages(body, kustomization.images);
    return { ...doc, body };
  });
}
