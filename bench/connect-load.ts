import { Agent, request } from "undici";

export interface ConnectLoadOptions {
  /** Full URL of a Connect unary method, e.g. http://127.0.0.1:8080/pkg.Service/Method. */
  readonly url: string;
  readonly total: number;
  readonly concurrency: number;
  /** JSON request body of call i. */
  readonly body: (i: number) => string;
  /** Optional pacing: at most this many calls started per second. */
  readonly ratePerS?: number;
  readonly onResponse?: (i: number, json: unknown) => void;
}

export interface ConnectLoadResult {
  readonly acked: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly firstError?: string;
}

/** Calls a Connect method with JSON over HTTP/1.1 keep-alive from `concurrency` parallel loops. */
export async function runConnectLoad(options: ConnectLoadOptions): Promise<ConnectLoadResult> {
  const agent = new Agent({ connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const startedAt = Date.now();
  let next = 0;
  let acked = 0;
  let failed = 0;
  let firstError: string | undefined;
  const latenciesMs: number[] = [];
  const worker = async () => {
    for (let i = next++; i < options.total; i = next++) {
      if (options.ratePerS !== undefined) {
        const wait = startedAt + (i * 1000) / options.ratePerS - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      try {
        const response = await request(options.url, {
          method: "POST",
          dispatcher: agent,
          headers: { "content-type": "application/json" },
          body: options.body(i),
        });
        const text = await response.body.text();
        if (response.statusCode === 200) {
          acked += 1;
          latenciesMs.push(performance.now() - t0);
          options.onResponse?.(i, JSON.parse(text));
        } else {
          failed += 1;
          firstError ??= `${response.statusCode} ${text}`;
        }
      } catch (err) {
        failed += 1;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await agent.close();
  return { acked, failed, elapsedMs: Date.now() - startedAt, latenciesMs, ...(firstError ? { firstError } : {}) };
}
