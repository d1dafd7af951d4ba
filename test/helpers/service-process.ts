import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { repoRoot, stackEnv } from "./stack-env.js";

// freePort() used to ask the kernel for port 0, close it and hand the number on: in that gap an
// outgoing connection or another port-0 listener could be given the same ephemeral port, and the
// service failed with EADDRINUSE. Ports are now drawn below the kernel's ephemeral range (which
// neither of those ever uses) and above the stack's fixed ports, never twice per test process.
const FIRST_PORT = 20_000;
const handedOut = new Set<number>();

function firstEphemeralPort(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return 32_768; // Linux's default
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port that is free now and that nothing on this machine will be handed implicitly. */
export async function freePort(): Promise<number> {
  const limit = firstEphemeralPort();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(FIRST_PORT, limit);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${limit} after 100 attempts`);
}

/** Start-up attempts when a port was taken anyway (another test process drew the same one). */
const START_ATTEMPTS = 3;

/** A compiled Tributary service (dist/...) run as a child process with its own env and port. */
export class ServiceProcess {
  readonly port: number;
  readonly output: string[] = [];
  #child: ChildProcess | undefined;
  #exit: Promise<number | null> = Promise.resolve(null);
  #closed: Promise<void> = Promise.resolve();

  constructor(
    readonly entry: string,
    readonly env: Record<string, string>,
    port: number,
  ) {
    this.port = port;
  }

  static async start(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
    for (let attempt = 1; ; attempt++) {
      const service = new ServiceProcess(entry, env, await freePort());
      try {
        await service.spawn();
        return service;
      } catch (err) {
        if (attempt >= START_ATTEMPTS || !service.output.join("").includes("EADDRINUSE")) throw err;
      }
    }
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
    this.#closed = new Promise((resolve) => child.once("close", () => resolve()));
    if (waitHealthy) await this.waitHealthy();
  }

  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        await this.#closed; // 'exit' can come before the last output: wait for the pipes to close
        throw new Error(`${this.entry} exited during start-up:\n${this.output.join("")}`);
      }
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

  /** SIGTERM; SIGKILL if the service has not exited after its own grace period (25 s) and some. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.#exit;
    this.#child?.kill("SIGTERM");
    const killer = setTimeout(() => this.#child?.kill("SIGKILL"), 35_000);
    try {
      return await this.#exit;
    } finally {
      clearTimeout(killer);
    }
  }

  exited(): Promise<number | null> {
    return this.#exit;
  }
}
