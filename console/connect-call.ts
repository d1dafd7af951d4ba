import { TributaryError } from "../runtime/errors.js";

/** One unary Connect call with JSON bodies (the gateway's own protocol; no client stubs needed). */
export async function connectCall<T>(baseUrl: string, method: string, body: unknown, timeoutMs: number): Promise<T> {
  const response = await fetch(`${baseUrl}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", "connect-timeout-ms": String(timeoutMs) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs + 500),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const e = JSON.parse(text) as { code?: string; message?: string };
      message = `${e.code ?? response.status}: ${e.message ?? text}`;
    } catch {
      // not a Connect error body
    }
    throw new TributaryError("unavailable", `${method} → HTTP ${response.status} ${message}`);
  }
  return JSON.parse(text) as T;
}
