/**
 * `node dist/tools/check-boundaries.js [root]`: checks the TypeScript import graph against the
 * module-boundary rules (tools/boundaries/rules.ts); prints each violation (file → import, rule)
 * and exits 1 when there is any. Run by stack/check.sh (make test) after the build.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkBoundaries, formatReport } from "./boundaries/check-boundaries.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("no package.json above tools/");
    dir = parent;
  }
  return dir;
}

const root = process.argv[2] === undefined ? repoRoot() : resolve(process.argv[2]);
const report = checkBoundaries(root);
const text = formatReport(report);
if (report.violations.length > 0) {
  process.stderr.write(text);
  process.exit(1);
}
process.stdout.write(text);
