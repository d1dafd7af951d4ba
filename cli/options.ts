import { InvalidArgumentError } from "commander";
import { errorMessage } from "../runtime/errors.js";

/**
 * Option and argument parsers for the commander tree. Each throws commander's
 * InvalidArgumentError (code "commander.invalidArgument"), which commander prefixes with the
 * option's name ("option '--limit <n>' argument 'abc' is invalid. …") and cli/main.ts turns into
 * exit code 2 — a usage error, never mixed up with a runtime failure (exit 1).
 */

/** An integer >= min: `--limit`, `--partition`, `--pairs`. */
export function integerAtLeast(min: number): (text: string) => number {
  return (text) => {
    if (!/^-?\d+$/.test(text.trim()) || Number(text) < min)
      throw new InvalidArgumentError(`must be an integer >= ${min}, got "${text}"`);
    return Number(text);
  };
}

/** Any integer (the gateway validates the range): `txn start --timeout-seconds`. */
export const anyInteger = integerAtLeast(Number.MIN_SAFE_INTEGER);

/** `tail --from`: beginning | end | an offset (integer >= 0) | an ISO time. */
export function tailFrom(text: string): string {
  if (text === "beginning" || text === "end" || /^\d+$/.test(text)) return text;
  if (isIsoTime(text)) return text;
  throw new InvalidArgumentError(`must be beginning, end, an offset or an ISO time, got "${text}"`);
}

/** `replay --from`: earliest | an ISO time. */
export function replayFrom(text: string): string {
  if (text === "earliest" || isIsoTime(text)) return text;
  throw new InvalidArgumentError(`must be earliest or an ISO time, got "${text}"`);
}

/** An ISO time → epoch ms: `dlq redrive --since`. */
export function isoTimeMs(text: string): number {
  if (!isIsoTime(text)) throw new InvalidArgumentError(`must be an ISO time, got "${text}"`);
  return Date.parse(text);
}

/** A date (YYYY-MM-DD) with an optional time that Date.parse reads; V8 alone also reads "-5" or "1". */
function isIsoTime(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text));
}

/** An ISO time or epoch milliseconds → epoch ms: `count --from/--to`. */
export function timeOrEpochMs(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  return isoTimeMs(text);
}

/** An http(s) URL: `--url`, `--gateway`. */
export function httpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`must be an http(s) URL, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidArgumentError(`must be an http(s) URL, got "${text}"`);
  return text;
}

/** A comma-separated list without empty items: `messages get --ids a,b`. */
export function commaList(text: string): string[] {
  const items = text.split(",").filter((s) => s !== "");
  if (items.length === 0) throw new InvalidArgumentError(`must list at least one value, got "${text}"`);
  return items;
}

/** Wraps a parser that throws its own error (testkit's duration/rate parsers) as a usage error. */
export function asUsage<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw new InvalidArgumentError(errorMessage(err));
    }
  };
}

/** The gateway URL every RPC command defaults to. */
export const DEFAULT_URL = process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8080";
