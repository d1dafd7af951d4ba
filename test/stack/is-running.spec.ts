import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/stack-env.js";

// is_running() from stack/stack.sh, exercised on its own with dummy processes: sourcing the
// whole script would run its commands against the shared stack.
const script = readFileSync(join(repoRoot, "stack/stack.sh"), "utf8");
const functionNamed = (name: string): string => {
  const match = new RegExp(`^${name}\\(\\) \\{.*?^\\}$|^${name}\\(\\) \\{.*\\}$`, "ms").exec(script);
  if (match === null) throw new Error(`stack/stack.sh has no function ${name}()`);
  return match[0];
};
const functions = ["pid_file", "pid_alive", "is_running"].map(functionNamed).join("\n");

let runDir = "";
beforeAll(() => {
  runDir = mkdtempSync(join(tmpdir(), "tributary-is-running-"));
});
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

/** Exit code of `is_running <name>` with the pid file pointing at `pid`. */
function isRunning(pid: number): Promise<number | null> {
  writeFileSync(join(runDir, "svc.pid"), `${pid}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `set -euo pipefail\n${functions}\nis_running svc`], {
      env: { ...process.env, STACK_RUN_DIR: runDir },
      stdio: "ignore",
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code));
  });
}

describe("stack.sh is_running()", () => {
  // `sleep 60` is the "service"; its parent execs into another `sleep`, which never reaps it,
  // so after kill -9 it stays a zombie, as a killed service does until its parent waits.
  let parent: ReturnType<typeof spawn>;
  let servicePid = 0;
  beforeAll(async () => {
    parent = spawn("bash", ["-c", "sleep 60 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
    servicePid = await new Promise<number>((resolve) =>
      parent.stdout?.once("data", (c: Buffer) => resolve(Number(c.toString().trim()))),
    );
  });
  afterAll(() => {
    parent.kill("SIGKILL");
  });

  it("reports a live process as running", async () => {
    expect(await isRunning(servicePid)).toBe(0);
  });

  it("reports a killed, not yet reaped process (zombie) as stopped", async () => {
    process.kill(servicePid, "SIGKILL");
    // The kill is asynchronous: wait until the kernel shows the zombie state.
    const state = () => /\) (\S)/.exec(readFileSync(`/proc/${servicePid}/stat`, "utf8"))?.[1];
    for (let i = 0; i < 100 && state() !== "Z"; i++) await new Promise((r) => setTimeout(r, 20));
    expect(state()).toBe("Z");
    expect(await isRunning(servicePid)).not.toBe(0);
  });

  it("reports a pid that no longer exists as stopped", async () => {
    parent.kill("SIGKILL");
    await new Promise((r) => parent.once("exit", r));
    expect(await isRunning(servicePid)).not.toBe(0);
  });
});
