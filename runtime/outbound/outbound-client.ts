import { Counter, Gauge, type Registry } from "prom-client";
import { Agent, buildConnector, errors, request } from "undici";
import { errorMessage } from "../errors.js";
import { type Resolver, resolveChecked, systemResolver } from "./guarded-resolve.js";
import { HostGate, type HostGateOptions } from "./host-gate.js";
import { findOutboundError, OutboundError } from "./outbound-error.js";
import { OUTBOUND_SCHEMES, type OutboundPolicy } from "./outbound-policy.js";

export interface OutboundClientOptions {
  /** Label of this client in metrics ("postback-delivery", "callback-dispatcher"). */
  readonly name: string;
  readonly policy: OutboundPolicy;
  readonly gate: HostGateOptions;
  /** Bound of TCP connect + TLS handshake. */
  readonly connectTimeoutMs: number;
  /** Bytes of a response body read at most; the rest is discarded unread. */
  readonly maxResponseBytes: number;
  /** Idle keep-alive connections per destination. */
  readonly maxConnectionsPerHost: number;
  readonly resolver?: Resolver;
  /** Replaces the TCP/TLS dial (tests): receives the checked address as `hostname`. */
  readonly dial?: buildConnector.connector;
  readonly metrics?: Registry;
}

export interface OutboundRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole-call bound: waiting for a slot, connecting, headers and the body excerpt. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The first `maxResponseBytes` of the body. */
  readonly body: Buffer;
  readonly truncated: boolean;
}

/**
 * The one HTTP client for calls leaving the platform (postbacks, transaction callbacks). Every
 * connection goes to an address checked by the policy after DNS resolution and pinned for that
 * connection; redirects are not followed (a 3xx is returned as it is); every call is bounded in
 * time and in response bytes; per destination a concurrency cap and a circuit breaker keep a
 * hanging partner from taking the workers of healthy ones.
 */
export class OutboundClient {
  readonly #o: OutboundClientOptions;
  readonly #agent: Agent;
  readonly #gate: HostGate;
  readonly #refused: Counter | undefined;

  constructor(options: OutboundClientOptions) {
    this.#o = options;
    this.#gate = new HostGate(options.gate);
    const base = options.dial ?? buildConnector({ timeout: options.connectTimeoutMs });
    const resolver = options.resolver ?? systemResolver;
    const connect: buildConnector.connector = (connectOptions, callback) => {
      resolveChecked(options.policy, resolver, connectOptions.hostname).then(
        (checked) => base({ ...connectOptions, hostname: checked.address }, callback),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
      );
    };
    this.#agent = new Agent({ connect, connections: options.maxConnectionsPerHost, keepAliveTimeout: 30_000 });
    if (options.metrics !== undefined) this.#refused = this.#registerMetrics(options.metrics);
  }

  async request(req: OutboundRequest): Promise<OutboundResponse> {
    const url = this.#target(req.url);
    const host = url.host;
    const deadline = AbortSignal.timeout(req.timeoutMs);
    const signal = AbortSignal.any([req.signal, deadline]);
    let release: Awaited<ReturnType<HostGate["acquire"]>>;
    try {
      release = await this.#gate.acquire(host, signal);
    } catch (err) {
      this.#count(err);
      throw err;
    }
    try {
      const response = await request(url, {
        method: req.method as "GET",
        dispatcher: this.#agent,
        headers: req.headers,
        ...(req.body === undefined ? {} : { body: req.body }),
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const { body, truncated } = await readCapped(response.body, this.#o.maxResponseBytes);
      release("success");
      return { status: response.statusCode, headers: response.headers, body, truncated };
    } catch (err) {
      const failure = classify(err, req.signal, deadline, host);
      release(failure.kind === "timeout" || failure.kind === "connection" ? "failure" : "neutral");
      this.#count(failure);
      throw failure;
    }
  }

  /** A target the request may even try: http(s), a host, not a literal blocked address or name. */
  #target(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw this.#refuse(new OutboundError("invalid_target", `not an absolute URL: "${text.slice(0, 200)}"`));
    }
    if (!(OUTBOUND_SCHEMES as readonly string[]).includes(url.protocol)) {
      throw this.#refuse(new OutboundError("invalid_target", `scheme must be http or https, got "${url.protocol}"`));
    }
    const verdict = this.#o.policy.checkHost(url.hostname);
    if (!verdict.verdict.allowed) {
      throw this.#refuse(new OutboundError("blocked", `blocked ${verdict.kind}: ${verdict.verdict.reason}`));
    }
    return url;
  }

  #refuse(err: OutboundError): OutboundError {
    this.#count(err);
    return err;
  }

  #count(err: unknown): void {
    if (err instanceof OutboundError) this.#refused?.inc({ client: this.#o.name, kind: err.kind });
  }

  #registerMetrics(registry: Registry): Counter {
    const gate = this.#gate;
    const name = this.#o.name;
    new Gauge({
      name: "tributary_outbound_open_circuits",
      help: "Destinations whose circuit breaker is open",
      labelNames: ["client"],
      registers: [registry],
      collect() {
        this.set({ client: name }, gate.openCircuits());
      },
    });
    return new Counter({
      name: "tributary_outbound_failures_total",
      help: "Outbound calls without a response, by kind (blocked, timeout, connection, circuit_open, ...)",
      labelNames: ["client", "kind"],
      registers: [registry],
    });
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = maxBytes - size;
    if (chunk.length >= room) {
      chunks.push(chunk.subarray(0, room));
      size = maxBytes;
      truncated = chunk.length > room;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  // Breaking out of the loop destroys the stream: the rest of a huge body is never read.
  if (truncated) body.destroy();
  return { body: Buffer.concat(chunks, size), truncated };
}

function classify(err: unknown, callerSignal: AbortSignal, deadline: AbortSignal, host: string): OutboundError {
  const outbound = findOutboundError(err);
  if (outbound !== undefined) return outbound;
  if (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    err instanceof errors.ConnectTimeoutError ||
    (deadline.aborted && !callerSignal.aborted)
  ) {
    return new OutboundError("timeout", `timeout calling ${host}: ${errorMessage(err)}`, { cause: err });
  }
  if (callerSignal.aborted) return new OutboundError("aborted", `call to ${host} aborted`, { cause: err });
  const code = (err as { code?: unknown }).code;
  const detail = typeof code === "string" ? code : errorMessage(err);
  return new OutboundError("connection", `connection to ${host} failed: ${detail}`, { cause: err });
}
