import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fromJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type TransactionTimedOut, TransactionTimedOutSchema } from "../gen/transactions/v1/transaction_event_pb.js";
import { CallbackService } from "../gen/transactions/v1/transaction_service_pb.js";

export interface ReceivedCallback {
  readonly protocol: "webhook" | "connect";
  /** The Idempotency-Key header. */
  readonly key: string;
  readonly timeout: TransactionTimedOut;
  readonly receivedAtMs: number;
  /** HTTP status (webhook) or 200 (connect) this receiver answered. */
  readonly answered: number;
}

/** Status to answer for a callback (200 accepts it; anything else makes the dispatcher retry or give up). */
export type CallbackResponder = (callback: Omit<ReceivedCallback, "answered">, nth: number) => number;

const CONNECT_PREFIX = `/${CallbackService.typeName}/`;

/**
 * A client's side of the callbacks, for the mock client, tests and benchmarks: one HTTP server on
 * 127.0.0.1 taking webhook POSTs (any path) and CallbackService/OnTimeout over Connect.
 */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  readonly #server: Server;
  readonly #responder: CallbackResponder;
  readonly #listeners = new Set<(c: ReceivedCallback) => void>();

  private constructor(server: Server, responder: CallbackResponder) {
    this.#server = server;
    this.#responder = responder;
  }

  static async start(options: { host?: string; port?: number; respond?: CallbackResponder } = {}) {
    let receiver: CallbackReceiver | undefined;
    const connect = connectNodeAdapter({
      routes: (router) => {
        router.service(CallbackService, {
          onTimeout: (req, ctx) => {
            const key = ctx.requestHeader.get("idempotency-key") ?? "";
            const status = (receiver as CallbackReceiver).#record("connect", key, req);
            if (status !== 200) throw new ConnectError(`refused with ${status}`, Code.Unavailable);
            return {};
          },
        });
      },
    });
    const server = createServer((req, res) => {
      if ((req.url ?? "").startsWith(CONNECT_PREFIX)) connect(req, res);
      else void (receiver as CallbackReceiver).#webhook(req, res);
    });
    receiver = new CallbackReceiver(server, options.respond ?? (() => 200));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return receiver;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Callback target for a Start: a webhook URL or a connect+http base URL. */
  target(protocol: "webhook" | "connect" = "webhook"): string {
    return protocol === "webhook" ? `http://127.0.0.1:${this.port}/callback` : `connect+http://127.0.0.1:${this.port}`;
  }

  /** Callbacks received (accepted or not) for a transaction id. */
  forTransaction(transactionId: string): ReceivedCallback[] {
    return this.received.filter((c) => c.timeout.started?.transactionId === transactionId);
  }

  /** Distinct idempotency keys of accepted callbacks. */
  acceptedKeys(): Set<string> {
    return new Set(this.received.filter((c) => c.answered === 200).map((c) => c.key));
  }

  onCallback(listener: (c: ReceivedCallback) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let timeout: TransactionTimedOut;
    try {
      timeout = fromJsonString(TransactionTimedOutSchema, Buffer.concat(chunks).toString("utf8"));
    } catch (err) {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: String(err) }));
      return;
    }
    const key = String(req.headers["idempotency-key"] ?? "");
    const status = this.#record("webhook", key, timeout);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ ok: status === 200 }));
  }

  #record(protocol: "webhook" | "connect", key: string, timeout: TransactionTimedOut): number {
    const base = { protocol, key, timeout, receivedAtMs: Date.now() };
    const nth = this.received.filter((c) => c.key === key).length + 1;
    const answered = this.#responder(base, nth);
    const callback = { ...base, answered };
    this.received.push(callback);
    for (const listener of this.#listeners) listener(callback);
    return answered;
  }
}
