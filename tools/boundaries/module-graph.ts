import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** One import (static, dynamic, `export ... from`, or `import type`) of one source file. */
export interface ModuleImport {
  /** Importing file, relative to the root, with `/` separators. */
  readonly from: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** Target file relative to the root when the specifier is relative; otherwise undefined (a package). */
  readonly target: string | undefined;
  /** Package name for a bare specifier (`kafkajs`, `@bufbuild/protobuf`); undefined for files. */
  readonly packageName: string | undefined;
}

const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git", ".stack", ".tools", "fixtures"]);

/** Every `.ts` file under `root`'s `folders` (skipping build output, dependencies and test fixtures). */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name));
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        files.push(join(dir, entry.name));
      }
    }
  };
  for (const folder of folders) {
    const dir = join(root, folder);
    if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  }
  return files.map((f) => toPosix(relative(root, f))).sort();
}

/** The imports of one file, resolved against the tree (`./x.js` → `x.ts`, `./dir` → `dir/index.ts`). */
export function importsOf(root: string, file: string): ModuleImport[] {
  const text = readFileSync(join(root, file), "utf8");
  // preProcessFile lists every module reference without type-checking: fast, and it sees
  // `import type`, `export ... from`, and dynamic `import()`.
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName: specifier }) => {
    if (specifier.startsWith(".")) {
      return { from: file, specifier, target: resolveRelative(root, file, specifier), packageName: undefined };
    }
    return { from: file, specifier, target: undefined, packageName: packageNameOf(specifier) };
  });
}

/** Whether a module has an `export * from` (contract modules must name what they export). */
export function hasStarExport(root: string, file: string): boolean {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest, false);
  return source.statements.some(
    (s) => ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined && s.exportClause === undefined,
  );
}

function resolveRelative(root: string, file: string, specifier: string): string {
  const base = resolve(root, dirname(file), specifier);
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts"), base];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? base;
  return toPosix(relative(root, found));
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}
