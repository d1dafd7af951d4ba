import { type ChildProcess, spawn } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./service-process.js";
import { waitUntil } from "./wait-until.js";

/**
 * A redis-server owned by one test (no persistence): it may be flushed or killed without
 * touching the shared stack. `close` kills it.
 */
export class PrivateRedis {
  private constructor(
    readonly url: string,
    readonly client: Redis,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const port = await freePort();
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    const url = `redis://127.0.0.1:${port}`;
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    client.on("error", () => undefined);
    await waitUntil(
      async () => {
        try {
          if (client.status === "wait") await client.connect();
          return (await client.ping()) === "PONG";
        } catch {
          return false;
        }
      },
      { timeoutMs: 10_000, describe: () => `private redis-server on ${port} did not start` },
    );
    return new PrivateRedis(url, client, child);
  }

  async close(): Promise<void> {
    this.client.disconnect();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGKILL");
      await exited;
    }
  }
}
