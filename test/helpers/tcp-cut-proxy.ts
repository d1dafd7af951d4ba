import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A plain TCP proxy in front of one shared stack component (the schema registry, Postgres) for
 * the services of one test: `cut()` resets open connections and refuses new ones, `restore()`
 * listens again on the same port; the component itself keeps serving every other test.
 */
export class TcpCutProxy {
  #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #cut = false;

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpCutProxy> {
    const proxy = new TcpCutProxy(targetHost, targetPort);
    await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  async cut(): Promise<void> {
    if (this.#cut) return;
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (!this.#cut) return;
    this.#server = createServer((client) => this.#accept(client));
    await this.#listen(this.#port);
    this.#cut = false;
  }

  async close(): Promise<void> {
    await this.cut();
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = this.#server.address();
    this.#port = typeof address === "object" && address !== null ? address.port : 0;
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(this.targetPort, this.targetHost);
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
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
