import { Agent as HttpAgent } from "node:http";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type MessageInitShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Agent, request } from "undici";

/** How the simulator talks to a front door. `http`: plain JSON (the route, or Connect's JSON). */
export type Protocol = "connect" | "grpc" | "grpc-web" | "http";
export const PROTOCOLS: readonly Protocol[] = ["connect", "grpc", "grpc-web", "http"];

export type CallOutcome = { readonly ok: true } | { readonly ok: false; readonly code: string };
const OK: CallOutcome = { ok: true };

export interface CallerOptions {
  readonly baseUrl: string;
  readonly protocol: Protocol;
  /** Most requests in flight: also the connection pool size of HTTP/1.1 protocols. */
  readonly concurrency: number;
  readonly timeoutMs: number;
}

/** Connect code → snake_case name as Connect's JSON writes it ("invalid_argument"). */
function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c : `_${c}`)).toLowerCase();
}

/** A failed call → the error code the summary counts it under. */
export function failureCode(err: unknown): string {
  if (err instanceof ConnectError) return codeName(err.code);
  const e = err as { code?: unknown; name?: string; cause?: { code?: unknown } };
  if (e.name === "HeadersTimeoutError" || e.name === "BodyTimeoutError" || e.name === "TimeoutError") return "timeout";
  if (typeof e.code === "string") return e.code.replace(/^UND_ERR_/, "").toLowerCase();
  if (typeof e.cause?.code === "string") return e.cause.code.toLowerCase();
  return "client_error";
}

/**
 * Calls unary methods of any Tributary service over the chosen protocol, and plain JSON routes.
 * Every call resolves to an outcome (never throws), so the engine only counts.
 */
export class Caller {
  readonly options: CallerOptions;
  readonly #transport: Transport | undefined;
  readonly #agent: Agent;
  readonly #httpAgent: HttpAgent;

  constructor(options: CallerOptions) {
    this.options = options;
    this.#agent = new Agent({ connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
    this.#httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.concurrency });
    const { baseUrl } = options;
    const nodeOptions = { agent: this.#httpAgent };
    // Connect unary is a plain POST (binary body, JSON errors): sent with undici like `http`,
    // which measured 3-5x the rate of connect-node's per-call Node http requests.
    if (options.protocol === "grpc") this.#transport = createGrpcTransport({ baseUrl });
    else if (options.protocol === "grpc-web")
      this.#transport = createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions });
  }

  /** One unary RPC; with `http`, Connect's JSON over a plain POST (what curl sends). */
  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
  ): Promise<CallOutcome> {
    const path = `/${method.parent.typeName}/${method.name}`;
    if (this.options.protocol === "http")
      return this.postJson(path, toJsonString(method.input, create(method.input, input)));
    if (this.options.protocol === "connect") {
      const outcome = await this.post(path, Buffer.from(toBinary(method.input, create(method.input, input))), {
        "content-type": "application/proto",
        "connect-protocol-version": "1",
        "connect-timeout-ms": String(this.options.timeoutMs),
      });
      // Connect's JSON error body carries the code: count it as gRPC does ("invalid_argument").
      if (outcome.ok || outcome.code.startsWith("http_")) return outcome;
      return { ok: false, code: outcome.code.replace(/_\d{3}$/, "") };
    }
    if (this.#transport === undefined) return { ok: false, code: "client_error" };
    try {
      await this.#transport.unary(method, undefined, this.options.timeoutMs, undefined, input);
      return OK;
    } catch (err) {
      return { ok: false, code: failureCode(err) };
    }
  }

  /** POST of a JSON body; 200 is success, anything else is counted by its JSON error code. */
  postJson(path: string, body: string): Promise<CallOutcome> {
    return this.post(path, body, { "content-type": "application/json" });
  }

  async post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<CallOutcome> {
    try {
      const response = await request(`${this.options.baseUrl}${path}`, {
        method: "POST",
        dispatcher: this.#agent,
        headers,
        body,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      const text = await response.body.text();
      if (response.statusCode === 200) return OK;
      return { ok: false, code: httpErrorCode(response.statusCode, text) };
    } catch (err) {
      return { ok: false, code: failureCode(err) };
    }
  }

  async close(): Promise<void> {
    this.#httpAgent.destroy();
    await this.#agent.close();
  }
}

/** `unavailable_503`: the JSON error code when the body has one (route or Connect), else `http_<status>`. */
function httpErrorCode(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; error?: { code?: unknown } };
    const code = body.error?.code ?? body.code;
    if (typeof code === "string") return `${code}_${status}`;
  } catch {
    // not JSON
  }
  return `http_${status}`;
}
