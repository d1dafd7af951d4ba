import type { OutboundClient } from "../../runtime/outbound/outbound-client.js";
import { OutboundError } from "../../runtime/outbound/outbound-error.js";
import type { AttemptOutcome } from "../../runtime/processor/delivery.js";

const BODY_EXCERPT_CHARS = 256;

/** Statuses worth another try: the target may recover (overload, outage, rate limit). */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * One webhook POST through the outbound client (address checked after DNS and pinned, no
 * redirects, bounded time and response). 2xx is delivered; 408/425/429/5xx, timeouts and
 * connection errors are retried; a blocked target and any other status are final.
 */
export async function postWebhook(
  client: OutboundClient,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  try {
    const response = await client.request({
      method: "POST",
      url,
      headers: { "content-type": "application/json", ...headers },
      body,
      timeoutMs,
      signal,
    });
    const text = response.body.toString("utf8").slice(0, BODY_EXCERPT_CHARS);
    const status = `http ${response.status}`;
    if (response.status >= 200 && response.status < 300) return { delivered: true, status };
    return { delivered: false, retryable: retryableStatus(response.status), status, error: text };
  } catch (err) {
    if (err instanceof OutboundError) {
      return { delivered: false, retryable: err.canRetry, status: err.kind, error: err.message };
    }
    return { delivered: false, retryable: true, status: "error", error: String(err) };
  }
}
