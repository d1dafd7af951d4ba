import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP proxy in front of the stack's broker for one service under test, which `cut()` makes
 * unreachable (connections reset, port refused) while the shared broker keeps running for
 * everyone else. The broker advertises 127.0.0.1:<broker port> in Metadata and FindCoordinator
 * answers, which would let the client bypass the proxy: each response frame (int32 size prefix)
 * has that host/port pair rewritten to the proxy's port (same byte length, so sizes hold).
 */
export class KafkaCutProxy {
  #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #cut = false;
  #frozen = false;

  private constructor(
    readonly brokerHost: string,
    readonly brokerPort: number,
  ) {
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(broker: string): Promise<KafkaCutProxy> {
    const [host = "127.0.0.1", port = "19092"] = broker.split(",")[0]?.split(":") ?? [];
    const proxy = new KafkaCutProxy(host, Number(port));
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = proxy.#server.address();
    proxy.#port = typeof address === "object" && address !== null ? address.port : 0;
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The broker is gone for the proxied client: open connections reset, new ones refused. */
  async cut(): Promise<void> {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * The broker hangs (a network partition without resets): connections stay open, new ones are
   * accepted, and nothing is forwarded either way until `thaw`. Bytes sent meanwhile are lost.
   */
  freeze(): void {
    this.#frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
  }

  /** The broker is back (as after a restart): the proxy listens again on the same port. */
  async restore(): Promise<void> {
    if (!this.#cut) return;
    this.#server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    this.#cut = false;
  }

  async close(): Promise<void> {
    if (!this.#cut) await this.cut();
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(this.brokerPort, this.brokerHost);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk: Buffer) => {
      if (!this.#frozen) upstream.write(chunk);
    });
    let pending = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      if (this.#frozen) return;
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        client.write(this.#rewrite(pending.subarray(0, 4 + size)));
        pending = pending.subarray(4 + size);
      }
    });
  }

  #rewrite(frame: Buffer): Buffer {
    const needle = Buffer.alloc(this.brokerHost.length + 4);
    needle.write(this.brokerHost, 0, "latin1");
    needle.writeInt32BE(this.brokerPort, this.brokerHost.length);
    const out = Buffer.from(frame);
    for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + needle.length)) {
      out.writeInt32BE(this.#port, at + this.brokerHost.length);
    }
    return out;
  }
}
