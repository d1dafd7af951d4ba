import { Agent, request } from "undici";

export interface PingLoadOptions {
  readonly baseUrl: string;
  readonly total: number;
  readonly concurrency: number;
  /** Event time of ping i. */
  readonly timestampOf: (i: number) => number;
  /** Stop early (count what was acknowledged so far). */
  readonly signal?: AbortSignal;
  /** Upper bound on the run, so a stuck gateway cannot hang a test. */
  readonly maxDurationMs?: number;
  /** Optional pacing: at most this many pings started per second. */
  readonly ratePerS?: number;
  readonly onAck?: (latencyMs: number, id: string) => void;
}

export interface PingLoadResult {
  readonly acked: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly firstError?: string;
}

/** Sends pings over Connect JSON (HTTP/1.1 keep-alive) from `concurrency` parallel loops. */
export async function runPingLoad(options: PingLoadOptions): Promise<PingLoadResult> {
  const agent = new Agent({ connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const url = `${options.baseUrl}/ping.v1.PingService/Ping`;
  const startedAt = Date.now();
  const deadline = startedAt + (options.maxDurationMs ?? 600_000);
  let next = 0;
  let acked = 0;
  let failed = 0;
  let firstError: string | undefined;
  const latenciesMs: number[] = [];
  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted || Date.now() > deadline) return;
      const i = next++;
      if (i >= options.total) return;
      if (options.ratePerS !== undefined) {
        const due = startedAt + (i * 1000) / options.ratePerS;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      try {
        const response = await request(url, {
          method: "POST",
          dispatcher: agent,
          headers: { "content-type": "application/json" },
          body: `{"timestamp_ms":${options.timestampOf(i)}}`,
        });
        const text = await response.body.text();
        if (response.statusCode === 200) {
          acked += 1;
          const latency = performance.now() - t0;
          latenciesMs.push(latency);
          options.onAck?.(latency, (JSON.parse(text) as { id: string }).id);
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
  return {
    acked,
    failed,
    elapsedMs: Date.now() - startedAt,
    latenciesMs,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
