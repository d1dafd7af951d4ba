import { TributaryError } from "../../runtime/errors.js";
import { DEFAULT_PROTOCOL, DEFAULT_TARGET_SETTINGS, TARGETS, type TargetName } from "./targets.js";
import { PROTOCOLS, type Protocol } from "./transports.js";

/** Everything a simulation run needs; `validateSimulateOptions` fills the defaults. */
export interface SimulateOptions {
  readonly target: TargetName;
  /** Gateway base URL. Default http://127.0.0.1:8080. */
  readonly baseUrl: string;
  /** Default per target: http for event and postback (plain routes), connect for the RPCs. */
  readonly protocol: Protocol;
  readonly ratePerS: number;
  readonly durationMs: number;
  /** Default 0: full rate from the start. */
  readonly rampMs: number;
  /**
   * Default: rate / 50 (20 ms of latency at the offered rate) within 8..64. More is not better on
   * a small machine: each slot is a connection, and hundreds of connections opened at once when
   * the server slows down cost more than they carry (measured: 200 slots sent 2.5× less than 20).
   */
  readonly concurrency: number;
  /** Default 1: runs repeat unless asked otherwise. */
  readonly seed: number;
  /** Per request. Default 10 s. */
  readonly timeoutMs: number;
  readonly postbackUrl: string;
  readonly messagesPerBatch: number;
  readonly callbackUrl: string;
}

export type SimulateInput = Partial<SimulateOptions> & Pick<SimulateOptions, "target" | "ratePerS" | "durationMs">;

function invalid(field: string, message: string): TributaryError {
  return new TributaryError("invalid_argument", `--${field} ${message}`, { field });
}

/** "60s", "500ms", "2m", "1h" or a bare number of seconds → milliseconds. */
export function parseDurationMs(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match?.[1] === undefined) throw invalid(field, `must be a duration like 60s, 500ms or 2m, got "${text}"`);
  const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1_000;
  return Math.round(Number(match[1]) * unitMs);
}

/** "2000", "2000/s" or "120/m" → operations per second. */
export function parseRatePerS(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/(s|m))?$/.exec(text.trim());
  if (match?.[1] === undefined) throw invalid("rate", `must be a rate like 2000/s or 120/m, got "${text}"`);
  return Number(match[1]) / (match[2] === "m" ? 60 : 1);
}

export function validateSimulateOptions(input: SimulateInput): SimulateOptions {
  if (!TARGETS.includes(input.target)) throw invalid("target", `must be one of ${TARGETS.join("|")}`);
  const protocol = input.protocol ?? DEFAULT_PROTOCOL[input.target];
  if (!PROTOCOLS.includes(protocol)) throw invalid("protocol", `must be one of ${PROTOCOLS.join("|")}`);
  if (!(input.ratePerS > 0) || input.ratePerS > 1_000_000) throw invalid("rate", "must be within (0, 1000000]/s");
  if (!(input.durationMs > 0)) throw invalid("duration", "must be > 0");
  const rampMs = input.rampMs ?? 0;
  if (rampMs < 0 || rampMs > input.durationMs) throw invalid("ramp", "must be within 0..duration");
  const concurrency = input.concurrency ?? Math.min(64, Math.max(8, Math.ceil(input.ratePerS / 50)));
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalid("concurrency", "must be an integer >= 1");
  const seed = input.seed ?? 1;
  if (!Number.isInteger(seed)) throw invalid("seed", "must be an integer");
  const baseUrl = (input.baseUrl ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(baseUrl)) throw invalid("url", `must be an http(s) URL, got "${baseUrl}"`);
  const messagesPerBatch = input.messagesPerBatch ?? DEFAULT_TARGET_SETTINGS.messagesPerBatch;
  if (!Number.isInteger(messagesPerBatch) || messagesPerBatch < 1) throw invalid("batch", "must be an integer >= 1");
  return {
    target: input.target,
    baseUrl,
    protocol,
    ratePerS: input.ratePerS,
    durationMs: input.durationMs,
    rampMs,
    concurrency,
    seed,
    timeoutMs: input.timeoutMs ?? 10_000,
    postbackUrl: input.postbackUrl ?? DEFAULT_TARGET_SETTINGS.postbackUrl,
    messagesPerBatch,
    callbackUrl: input.callbackUrl ?? DEFAULT_TARGET_SETTINGS.callbackUrl,
  };
}
