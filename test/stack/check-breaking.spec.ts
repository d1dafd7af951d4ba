import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";

// stack/check-breaking.sh (run by `make test` through stack/check.sh) in a throw-away repository
// with the project's buf.yaml: a commit that breaks the previous one's schema must fail.
let repo = "";
const env = {
  PATH: `${join(repoRoot, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
  GIT_AUTHOR_NAME: "test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env: { ...process.env, ...env } });
const commitSchema = (fields: string, message: string) => {
  writeFileSync(
    join(repo, "schemas/demo/v1/demo.proto"),
    `syntax = "proto3";\npackage demo.v1;\nmessage Demo {\n${fields}}\n`,
  );
  git("add", "-A");
  git("commit", "-q", "-m", message);
};
const check = (cwd: string = repo) =>
  runCommand("bash", [join(cwd, "stack/check-breaking.sh")], {
    env: { ...env, TRIBUTARY_ROOT: cwd },
    cwd,
    timeoutMs: 60_000,
  });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tributary-buf-breaking-"));
  mkdirSync(join(repo, "stack"));
  mkdirSync(join(repo, "schemas/demo/v1"), { recursive: true });
  for (const file of ["stack/check-breaking.sh", "buf.yaml"]) copyFileSync(join(repoRoot, file), join(repo, file));
  git("init", "-q");
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("stack/check-breaking.sh", { timeout: 120_000 }, () => {
  it("passes on the first commit and on a compatible change", async () => {
    commitSchema("  string id = 1;\n  int64 timestamp_ms = 2;\n", "v1");
    expect((await check()).code).toBe(0);
    commitSchema("  string id = 1;\n  int64 timestamp_ms = 2;\n  string note = 3;\n", "add a field");
    const result = await check();
    expect(result.stderr).toContain("against .git#ref=HEAD~1");
    expect(result.code).toBe(0);
  });

  it("fails when the last commit deleted a field, naming it", async () => {
    commitSchema("  string id = 1;\n  string note = 3;\n", "delete a field");
    const result = await check();
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/field "2" with name "timestamp_ms" on message "Demo" was deleted/);
  });

  it("asks for history in a shallow clone instead of skipping", async () => {
    const shallow = `${repo}-shallow`;
    try {
      execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo}`, shallow]);
      const result = await check(shallow);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("this clone is shallow");
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });
});
