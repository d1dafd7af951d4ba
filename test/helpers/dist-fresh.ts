import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "./stack-env.js";

/**
 * Sources compiled to dist/ whose output is missing or older than the source. Integration tests
 * spawn dist/ entry points: a stale build would test yesterday's code and fail (or pass) for
 * reasons nobody can see. The folders are tsconfig.json's `include`, so a new folder counts too.
 */
export function staleOutputs(root = repoRoot): string[] {
  const tsconfig = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { include?: string[] };
  const stale: string[] = [];
  for (const folder of tsconfig.include ?? []) {
    for (const source of sourceFiles(join(root, folder))) {
      const output = join(root, "dist", relative(root, source)).replace(/\.ts$/, ".js");
      if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs)
        stale.push(relative(root, source));
    }
  }
  return stale;
}

function* sourceFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/(?<!\.d|\.spec|\.test)\.ts$/.test(entry.name)) yield path;
  }
}

/** Vitest globalSetup of the suites that run compiled services: refuse a stale dist/. */
export default function assertDistFresh(): void {
  if (process.env.TRIBUTARY_SKIP_DIST_CHECK === "1") return;
  const stale = staleOutputs();
  if (stale.length === 0) return;
  const shown = stale.slice(0, 5).join(", ");
  const more = stale.length > 5 ? ` and ${stale.length - 5} more` : "";
  throw new Error(
    `dist/ is older than the sources (${shown}${more} changed since the last build): ` +
      "run `npx tsc -p tsconfig.json` (or `make test`, which builds first); " +
      "TRIBUTARY_SKIP_DIST_CHECK=1 skips this check",
  );
}
