import { TributaryError } from "../../runtime/errors.js";
import type { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";

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
 * dispatcher, so both agree on what a target means. With a policy, a target whose host is a
 * literal blocked address (any spelling) or a blocked name is refused too; a name that resolves
 * to a blocked address is caught when the dispatcher connects.
 */
export function parseCallbackTarget(
  target: string,
  field = "callback_target",
  policy?: OutboundPolicy,
): CallbackTarget {
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
    // The http(s) form is what gets dialled: its host is parsed as an address (0x7f.1 → 127.0.0.1).
    policy?.checkUrl(base, field);
    return { kind: "connect", baseUrl: base };
  }
  policy?.checkUrl(url.toString(), field);
  return { kind: "webhook", url: url.toString() };
}

/** The message is the detail alone; the field travels in `field` (toConnectError prefixes it). */
function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("invalid_argument", detail, { field });
}
