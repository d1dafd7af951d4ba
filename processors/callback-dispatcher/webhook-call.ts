import { type Agent, errors, request } from "undici";
import { errorMessage } from "../../runtime/errors.js";
import type { AttemptOutcome } from "../../runtime/processor/run-deliveries.js";

const BODY_EXCERPT_CHARS = 256;

/** Statuses worth another try: the target may recover (overload, outage, rate limit). */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * One webhook POST. 2xx is delivered; 408/425/429/5xx, timeouts and connection errors are
 * retried; any other status (a 4xx: the target refuses this callback) is final.
 */
export async function postWebhook(
  agent: Agent,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  try {
    const response = await request(url, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = (await response.body.text()).slice(0, BODY_EXCERPT_CHARS);
    const status = `http ${response.statusCode}`;
    if (response.statusCode >= 200 && response.statusCode < 300) return { delivered: true, status };
    return { delivered: false, retryable: retryableStatus(response.statusCode), status, error: text };
  } catch (err) {
    return { delivered: false, retryable: true, status: describe(err), error: errorMessage(err) };
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError) return "timeout";
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timeout";
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `error ${code}` : "error";
}
