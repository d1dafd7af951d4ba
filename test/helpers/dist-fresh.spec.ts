import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { staleOutputs } from "./dist-fresh.js";

describe("staleOutputs (the integration suites' dist/ check)", () => {
  let root = "";
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function project(files: Record<string, number>): string {
    root = mkdtempSync(join(tmpdir(), "tributary-dist-fresh-"));
    writeFileSync(join(root, "tsconfig.json"), JSON.stringify({ include: ["src", "absent"] }));
    for (const [path, mtimeS] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), "");
      utimesSync(join(root, path), mtimeS, mtimeS);
    }
    return root;
  }

  it("is empty when every source's output is at least as new", () => {
    project({ "src/a.ts": 100, "dist/src/a.js": 100, "src/a.spec.ts": 500, "src/b.d.ts": 500 });
    expect(staleOutputs(root)).toEqual([]);
  });

  it("names a source edited after the build and one never built", () => {
    project({ "src/a.ts": 200, "dist/src/a.js": 100, "src/deep/new.ts": 50 });
    expect(staleOutputs(root).sort()).toEqual(["src/a.ts", "src/deep/new.ts"]);
  });
});
