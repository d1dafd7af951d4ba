import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { serviceRegistry } from "../services/registry.js";
import { entryPointOf, nodeFlagsOf } from "../services/service-entry.js";

const root = join(import.meta.dirname, "..", "..");

/** The node flags the stack and Kubernetes run a service's entry point with (deploy.heapMiB). */
export function registryNodeFlags(entry: string): string[] {
  const service = serviceRegistry.find((s) => entryPointOf(s) === entry);
  return service === undefined ? [] : nodeFlagsOf(service);
}

/**
 * A compiled service (dist/...) started for a benchmark on `port` with the node flags it runs
 * with in the stack, so its memory is the deployed one; `ready` resolves on /readyz.
 */
export function spawnService(entry: string, env: Record<string, string>, port: number) {
  const child = spawn(process.execPath, [...registryNodeFlags(entry), join(root, entry)], {
    env: { ...process.env, LOG_LEVEL: "warn", HTTP_PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ready = (async () => {
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
      if (
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${entry} not ready`);
  })();
  return { child, ready, port };
}

/** SIGTERM and wait for the exit. */
export async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
