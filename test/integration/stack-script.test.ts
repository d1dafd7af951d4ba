import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";

describe("stack/stack.sh", () => {
  it("refuses a port that another process holds, naming the component and the variable", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const stackDir = mkdtempSync(join(tmpdir(), "tributary-stack-"));
    try {
      const result = await runCommand("bash", [join(repoRoot, "stack/stack.sh"), "up", "infra"], {
        env: { STACK_DIR: stackDir, POSTGRES_PORT: String(port) },
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`port ${port} for postgres is already in use`);
      expect(result.stderr).toContain("*_PORT");
    } finally {
      blocker.close();
      rmSync(stackDir, { recursive: true, force: true });
    }
  });

  it("reports every component of the running stack", async () => {
    const result = await runCommand("bash", [join(repoRoot, "stack/stack.sh"), "status"]);
    for (const component of ["postgres", "redis", "kafka", "registry", "gateway", "ping-counter", "pings-sink"]) {
      expect(result.stdout).toMatch(new RegExp(`^${component}\\s+running`, "m"));
    }
  });
});
