import { TributaryError } from "../../runtime/errors.js";

/** Where a timeout callback goes. */
export type CallbackTarget =
  /** HTTP POST of the timeout as JSON to this URL. */
  | { readonly kind: "webhook"; readonly url: string }
  /** transactions.v1.CallbackService/OnTimeout over Connect at this base URL. */
  | { readonly kind: "connect"; readonly baseUrl: string };

export const CALLBACK_SCHEMES = ["http:", "https:", "connect+http:", "connect+https:"] as const;

/**
 * Parses a Start's callback_target: `http(s)://host/path` (webhook) or `connect+http(s)://host:port`
 * (a CallbackService the client serves). Shared by the gateway (validation at the edge) and the
 * dispatcher, so both agree on what a target means.
 */
export function parseCallbackTarget(target: string, field = "callback_target"): CallbackTarget {
  if (target === "") throw invalid(field, "is required");
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw invalid(field, `must be a URL, got "${target}"`);
  }
  if (!(CALLBACK_SCHEMES as readonly string[]).includes(url.protocol)) {
    throw invalid(field, `scheme must be one of ${CALLBACK_SCHEMES.join(" ")} (got "${url.protocol}")`);
  }
  if (url.hostname === "") throw invalid(field, "must name a host");
  if (url.protocol.startsWith("connect+")) {
    const base = `${url.protocol.slice("connect+".length)}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
    return { kind: "connect", baseUrl: base };
  }
  return { kind: "webhook", url: url.toString() };
}

/** The message is the detail alone; the field travels in `field` (toConnectError prefixes it). */
function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("invalid_argument", detail, { field });
}
