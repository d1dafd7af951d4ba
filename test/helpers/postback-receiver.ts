import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedPostback {
  /** webhook-id: the delivery id. */
  readonly id: string;
  /** x-tributary-attempt. */
  readonly attempt: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly atMs: number;
}

/** What to answer: a status (optionally with headers, after a delay) or "hang" (never answer). */
export type PostbackAnswer = number | "hang" | { status: number; headers?: Record<string, string>; delayMs?: number };
export type PostbackResponder = (postback: ReceivedPostback, nthForId: number) => PostbackAnswer;

/**
 * A partner on 127.0.0.1 for postback tests: records every call, answers as told, and dedupes
 * by webhook-id the way a careful receiver does (`accepted` holds each id once).
 */
export class PostbackReceiver {
  readonly received: ReceivedPostback[] = [];
  readonly accepted = new Map<string, ReceivedPostback>();
  /** Calls for an id already accepted: what receivers must dedupe. */
  duplicates = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly #server: Server;
  readonly #hanging: ServerResponse[] = [];
  readonly #counts = new Map<string, number>();
  respond: PostbackResponder;

  private constructor(respond: PostbackResponder) {
    this.respond = respond;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 30_000;
  }

  static async start(respond: PostbackResponder = () => 200): Promise<PostbackReceiver> {
    const receiver = new PostbackReceiver(respond);
    await new Promise<void>((resolve) => receiver.#server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  url(path = "/postback"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
    };
    const postback: ReceivedPostback = {
      id: header("webhook-id"),
      attempt: Number(header("x-tributary-attempt") || 0),
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      atMs: Date.now(),
    };
    this.received.push(postback);
    const nth = (this.#counts.get(postback.id) ?? 0) + 1;
    this.#counts.set(postback.id, nth);
    const answer = this.respond(postback, nth);
    if (answer === "hang") {
      this.#hanging.push(res);
      return;
    }
    const { status, headers, delayMs } = typeof answer === "number" ? { status: answer } : answer;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (delayMs !== undefined && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    this.inFlight--;
    if (status >= 200 && status < 300) {
      if (this.accepted.has(postback.id)) this.duplicates++;
      else this.accepted.set(postback.id, postback);
    }
    res.writeHead(status, headers).end(status >= 200 && status < 300 ? "ok" : `refused ${status}`);
  }

  /** Calls received for one delivery id, in order. */
  forId(id: string): ReceivedPostback[] {
    return this.received.filter((p) => p.id === id);
  }

  /** Calls held open right now (never answered, the caller still connected). */
  hangingCount(): number {
    return this.#hanging.filter((res) => !res.socket?.destroyed).length;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
