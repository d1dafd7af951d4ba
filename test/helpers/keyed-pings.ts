import { Agent, request } from "undici";

/** How one keyed Ping call ended, as a client sees it. */
export type KeyedPingOutcome =
  | { readonly kind: "acked"; readonly id: string; readonly offset: string; readonly partition: number }
  /** No answer or a retryable error: the ping may or may not have been written. */
  | { readonly kind: "in_doubt"; readonly reason: string }
  | { readonly kind: "refused"; readonly reason: string };

/** One keyed ping: its key and event time, fixed for every retry of it. */
export interface KeyedPing {
  readonly key: string;
  readonly timestampMs: number;
}

export interface KeyedPingClient {
  ping(baseUrl: string, ping: KeyedPing, timeoutMs: number): Promise<KeyedPingOutcome>;
  close(): Promise<void>;
}

/** Connect JSON over HTTP/1.1 keep-alive with the key in the `Idempotency-Key` header. */
export function keyedPingClient(connections: number): KeyedPingClient {
  const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
  return {
    async ping(baseUrl, ping, timeoutMs) {
      try {
        const response = await request(`${baseUrl}/ping.v1.PingService/Ping`, {
          method: "POST",
          dispatcher: agent,
          headers: { "content-type": "application/json", "idempotency-key": ping.key },
          body: JSON.stringify({ timestamp_ms: ping.timestampMs }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.body.text();
        if (response.statusCode === 200) {
          const body = JSON.parse(text) as { id: string; offset?: string; partition?: number };
          return { kind: "acked", id: body.id, offset: body.offset ?? "0", partition: body.partition ?? 0 };
        }
        const code = (JSON.parse(text) as { code?: string }).code ?? String(response.statusCode);
        return ["unavailable", "deadline_exceeded", "internal", "aborted", "canceled", "unknown"].includes(code)
          ? { kind: "in_doubt", reason: code }
          : { kind: "refused", reason: `${code}: ${text}` };
      } catch (err) {
        return {
          kind: "in_doubt",
          reason: err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.name) : String(err),
        };
      }
    },
    close: () => agent.close(),
  };
}

/** Tallies of a keyed load with retries (printed by the chaos tests). */
export interface KeyedLoadTally {
  sent: number;
  acked: number;
  inDoubt: number;
  refused: number;
  /** Retries of in-doubt pings (every attempt counted), and of pings that had been acked. */
  retried: number;
  retriedAcked: number;
  /** Retries of acked pings that answered another id/offset than the first answer. */
  mismatched: number;
  firstRefusal?: string;
}

/**
 * Sends `pings` from `concurrency` loops (each ping once), remembering the first answer of every
 * acked ping and the keys left in doubt. `baseUrlOf()` is read per call (a test may switch gateways).
 */
export async function sendKeyedPings(options: {
  readonly client: KeyedPingClient;
  readonly baseUrlOf: () => string;
  readonly pings: readonly KeyedPing[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly tally: KeyedLoadTally;
  readonly answers: Map<string, KeyedPingOutcome & { kind: "acked" }>;
  readonly inDoubt: Set<string>;
  readonly maxDurationMs: number;
}): Promise<void> {
  let next = 0;
  const deadline = Date.now() + options.maxDurationMs;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const ping = options.pings[i];
      if (ping === undefined || Date.now() > deadline) return;
      options.tally.sent += 1;
      const outcome = await options.client.ping(options.baseUrlOf(), ping, options.timeoutMs);
      if (outcome.kind === "acked") {
        options.tally.acked += 1;
        options.answers.set(ping.key, outcome);
      } else if (outcome.kind === "in_doubt") {
        options.tally.inDoubt += 1;
        options.inDoubt.add(ping.key);
        // A client backs off after a failure (so a gateway that is down does not eat the whole load).
        await new Promise((r) => setTimeout(r, 500));
      } else {
        options.tally.refused += 1;
        options.tally.firstRefusal ??= outcome.reason;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}

/**
 * Retries every in-doubt ping with its key until it is acked (bounded), and re-sends `extra`
 * acked pings once, checking they answer their first result.
 */
export async function retryKeyedPings(options: {
  readonly client: KeyedPingClient;
  readonly baseUrl: string;
  readonly byKey: ReadonlyMap<string, KeyedPing>;
  readonly inDoubt: Set<string>;
  readonly answers: Map<string, KeyedPingOutcome & { kind: "acked" }>;
  readonly extra: readonly string[];
  readonly tally: KeyedLoadTally;
  readonly timeoutMs: number;
  readonly maxRounds: number;
}): Promise<void> {
  for (let round = 0; round < options.maxRounds && options.inDoubt.size > 0; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, 500));
    // 16 retries at a time: a burst of every in-doubt key at once would only time out again.
    const queue = [...options.inDoubt];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
          const ping = options.byKey.get(key);
          if (ping === undefined) continue;
          options.tally.retried += 1;
          const outcome = await options.client.ping(options.baseUrl, ping, options.timeoutMs);
          if (outcome.kind === "acked") {
            options.inDoubt.delete(key);
            options.answers.set(key, outcome);
          }
        }
      }),
    );
  }
  for (const key of options.extra) {
    const ping = options.byKey.get(key);
    const first = options.answers.get(key);
    if (ping === undefined || first === undefined) continue;
    options.tally.retriedAcked += 1;
    const again = await options.client.ping(options.baseUrl, ping, options.timeoutMs);
    if (again.kind !== "acked" || again.id !== first.id || again.offset !== first.offset) options.tally.mismatched += 1;
  }
}

export function newTally(): KeyedLoadTally {
  return { sent: 0, acked: 0, inDoubt: 0, refused: 0, retried: 0, retriedAcked: 0, mismatched: 0 };
}
