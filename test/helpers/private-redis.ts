import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./service-process.js";
import { waitUntil } from "./wait-until.js";

/**
 * A redis-server owned by one test (the Dragonfly stand-in) on a free port and its own directory:
 * it may be flushed, killed -9 and restarted without touching the shared stack. `appendOnly`
 * false (default): a kill loses everything (the store-loss chaos tests); true: data survives it.
 * `client` reconnects by itself after a restart. `close` kills it and removes its directory.
 */
export class PrivateRedis {
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly appendOnly: boolean,
    readonly client: Redis,
  ) {}

  static async start(options: { appendOnly?: boolean } = {}): Promise<PrivateRedis> {
    const port = await freePort();
    const client = new Redis(port, "127.0.0.1", {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    client.on("error", () => undefined);
    const redis = new PrivateRedis(
      port,
      mkdtempSync(join(tmpdir(), "tributary-private-redis-")),
      options.appendOnly ?? false,
      client,
    );
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, after kill9) and waits until it answers PING. */
  async restart(): Promise<void> {
    const appendOnly = this.appendOnly ? "yes" : "no";
    this.#child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--appendonly", appendOnly],
      { stdio: "ignore" },
    );
    const probe = new Redis(this.port, "127.0.0.1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => undefined);
    await waitUntil(
      async () => {
        try {
          await probe.connect();
          return (await probe.ping()) === "PONG";
        } catch {
          probe.disconnect();
          return false;
        }
      },
      { timeoutMs: 10_000, describe: () => `private redis-server on ${this.port} did not start` },
    );
    probe.disconnect();
    if (this.client.status === "wait") await this.client.connect().catch(() => undefined);
  }

  /** kill -9: no save, no goodbye. */
  kill9(): void {
    this.#child?.kill("SIGKILL");
  }

  async close(): Promise<void> {
    this.client.disconnect();
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
