import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { repoRoot, stackEnv } from "./stack-env.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A compiled Tributary service (dist/...) run as a child process with its own env and port. */
export class ServiceProcess {
  readonly port: number;
  readonly output: string[] = [];
  #child: ChildProcess | undefined;
  #exit: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly entry: string,
    readonly env: Record<string, string>,
    port: number,
  ) {
    this.port = port;
  }

  static async start(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
    const service = new ServiceProcess(entry, env, await freePort());
    await service.spawn();
    return service;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async spawn(waitHealthy = true): Promise<void> {
    const child = spawn(process.execPath, [join(repoRoot, this.entry)], {
      env: { ...process.env, ...stackEnv, LOG_LEVEL: "info", ...this.env, HTTP_PORT: String(this.port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 400) this.output.splice(0, 200);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.#exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    if (waitHealthy) await this.waitHealthy();
  }

  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.entry} exited during start-up:\n${this.output.join("")}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/readyz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.entry} not ready after ${timeoutMs} ms:\n${this.output.join("")}`);
  }

  /** kill -9: no flush, no goodbye. */
  async kill9(): Promise<void> {
    this.#child?.kill("SIGKILL");
    await this.#exit;
  }

  async stop(): Promise<number | null> {
    if (!this.running) return this.#exit;
    this.#child?.kill("SIGTERM");
    return this.#exit;
  }

  exited(): Promise<number | null> {
    return this.#exit;
  }
}
