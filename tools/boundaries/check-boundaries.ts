import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { hasStarExport, importsOf, sourceFiles } from "./module-graph.js";
import { checkImport, FLOW_ROOTS, isExempt, RULES, type Violation } from "./rules.js";

/** Top-level folders whose TypeScript the check reads. */
export const CHECKED_FOLDERS = [
  "runtime",
  "gen",
  ...FLOW_ROOTS,
  "cli",
  "bench",
  "services",
  "tools",
  "k8s",
  "test",
  "testkit",
] as const;

export interface BoundaryReport {
  readonly files: number;
  readonly imports: number;
  readonly violations: readonly Violation[];
  /** Violations allowed by EXEMPTIONS (rules.ts), reported as a count. */
  readonly exempted: number;
}

/** Checks the import graph of the tree at `root` against the module-boundary rules (rules.ts). */
export function checkBoundaries(root: string): BoundaryReport {
  const files = sourceFiles(root, CHECKED_FOLDERS);
  const violations: Violation[] = [];
  let imports = 0;
  let exempted = 0;
  for (const file of files) {
    for (const imp of importsOf(root, file)) {
      imports += 1;
      for (const v of checkImport(imp)) {
        if (isExempt(v)) exempted += 1;
        else violations.push(v);
      }
    }
  }
  for (const flow of flowFolders(root)) {
    const contract = `${flow}/index.ts`;
    if (!existsSync(join(root, contract))) {
      violations.push({
        file: flow,
        specifier: "index.ts",
        rule: "contract-exists",
        message: "has no contract module",
      });
    } else if (hasStarExport(root, contract)) {
      violations.push({
        file: contract,
        specifier: "export *",
        rule: "contract-named-exports",
        message: "re-exports a whole module",
      });
    }
  }
  return { files: files.length, imports, violations, exempted };
}

function flowFolders(root: string): string[] {
  return FLOW_ROOTS.flatMap((top) =>
    existsSync(join(root, top))
      ? readdirSync(join(root, top), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => `${top}/${e.name}`)
          // A folder without TypeScript of its own (being created, or only migrations) is no flow yet.
          .filter((flow) => readdirSync(join(root, flow)).some((f) => f.endsWith(".ts")))
      : [],
  );
}

/** The report as printed by `node dist/tools/check-boundaries.js`: one line per violation. */
export function formatReport(report: BoundaryReport): string {
  const head =
    `module boundaries: ${report.files} files, ${report.imports} imports, ` +
    `${report.violations.length} violations (${report.exempted} exempted in tools/boundaries/rules.ts)`;
  if (report.violations.length === 0) return `${head}\n`;
  const lines = report.violations.map((v) => `  ${v.file} → ${v.specifier}  [${v.rule}] ${v.message}`);
  const rules = [...new Set(report.violations.map((v) => v.rule))].map((r) => `  [${r}] ${RULES[r]}`);
  return `${head}\n${lines.join("\n")}\nrules broken:\n${rules.join("\n")}\n`;
}
