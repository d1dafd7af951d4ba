import { connectCall } from "../connect-call.js";

export interface PingCounts {
  readonly total: number;
  /** Which store answered: dragonfly, or postgres when the gateway fell back. */
  readonly source: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Per event-time minute in the range (minute = floor(ms / 60000)), zeros filled in. */
  readonly minutes: readonly { readonly minute: number; readonly count: number }[];
}

interface PingCountJson {
  total?: string;
  source?: string;
  minutes?: { minute?: string; count?: string }[];
}

/** Widest range the page asks for (PingCount's own limit is larger). */
export const MAX_RANGE_MINUTES = 24 * 60;

/** PingCount through the gateway, as any client asks it. */
export async function readPingCounts(gatewayUrl: string, fromMs: number, toMs: number): Promise<PingCounts> {
  const answer = await connectCall<PingCountJson>(
    gatewayUrl,
    "ping.v1.PingService/PingCount",
    { fromMs: String(fromMs), toMs: String(toMs) },
    3_000,
  );
  const byMinute = new Map((answer.minutes ?? []).map((m) => [Number(m.minute ?? 0), Number(m.count ?? 0)]));
  const minutes: { minute: number; count: number }[] = [];
  for (let minute = Math.floor(fromMs / 60_000); minute * 60_000 < toMs; minute++) {
    minutes.push({ minute, count: byMinute.get(minute) ?? 0 });
  }
  return { total: Number(answer.total ?? 0), source: answer.source ?? "", fromMs, toMs, minutes };
}
