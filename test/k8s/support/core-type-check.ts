import { join } from "node:path";
import ts from "typescript";
import { hasCoreModel } from "./core-models.js";
import { repoRoot } from "./repo-paths.js";

export interface TypeCheckInput {
  /** Names the resource in messages. */
  readonly id: string;
  readonly resource: { apiVersion: string; kind: string; metadata?: unknown };
}

/**
 * Catches what schema validation lets through: misspelled or unknown fields. Each resource
 * becomes an object literal typed with its `kubernetes-models` interface (`IDeployment`, ...),
 * and TypeScript's excess-property check reports every field the Kubernetes API does not know,
 * at any depth. Custom resources (no model) have only their metadata checked this way, typed as
 * a ConfigMap's metadata (ObjectMeta). Returns the problems of each resource by id.
 */
export function typeCheckResources(inputs: readonly TypeCheckInput[]): Map<string, string[]> {
  const sources = new Map<string, { id: string; text: string }>();
  inputs.forEach((input, i) => {
    const { apiVersion, kind } = input.resource;
    const file = join(repoRoot, ".k8s-type-check", `resource-${i}.ts`);
    const text = hasCoreModel(apiVersion, kind)
      ? `import type { I${kind} as T } from "kubernetes-models/${apiVersion}/${kind}";\n` +
        `export const resource: T = ${JSON.stringify(input.resource, null, 2)};\n`
      : `import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";\n` +
        `export const metadata: NonNullable<IConfigMap["metadata"]> = ${JSON.stringify(input.resource.metadata ?? {}, null, 2)};\n`;
    sources.set(file, { id: input.id, text });
  });

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts"],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const source = sources.get(name);
    return source === undefined
      ? getSourceFile(name, language, ...rest)
      : ts.createSourceFile(name, source.text, language);
  };
  host.fileExists = (name) => sources.has(name) || fileExists(name);
  host.readFile = (name) => sources.get(name)?.text ?? readFile(name);

  const program = ts.createProgram([...sources.keys()], options, host);
  const problems = new Map<string, string[]>(inputs.map((input) => [input.id, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file;
    const source = file === undefined ? undefined : sources.get(file.fileName);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    if (file === undefined || source === undefined || diagnostic.start === undefined) {
      throw new Error(`type check of manifests failed outside the manifests: ${message}`);
    }
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
    const lineText = file.text.split("\n")[line]?.trim() ?? "";
    problems.get(source.id)?.push(`${message} (at ${lineText})`);
  }
  return problems;
}
