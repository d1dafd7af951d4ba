import type { Registry } from "prom-client";
import { type PostbackDelivery, PostbackDeliverySchema } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import { REDRIVE_HEADER } from "../../runtime/dead-letters/redrive.js";
import { histogram } from "../../runtime/observability/metrics.js";
import { OutboundClient, type OutboundClientOptions } from "../../runtime/outbound/outbound-client.js";
import { hostGateOptions, type OutboundConfig, outboundPolicy } from "../../runtime/outbound/outbound-config.js";
import { OutboundError } from "../../runtime/outbound/outbound-error.js";
import type { AttemptOutcome, DeliveryHandler } from "../../runtime/processor/delivery.js";
import { outboundTraceHeaders } from "../../runtime/processor/delivery-span.js";
import { retryAfterMs } from "./retry-after.js";
import { type SigningKey, webhookSignature } from "./webhook-signature.js";

export const POSTBACK_DELIVERY = "postback-delivery";
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);
const METHODS = new Set(["GET", "DELETE", ...METHODS_WITH_BODY]);

export interface PostbackHandlerOptions {
  readonly requestTimeoutMs: number;
  readonly excerptBytes: number;
  readonly signingKeys: readonly SigningKey[];
  readonly maxConcurrent: number;
  readonly outbound: OutboundConfig;
  readonly metrics?: Registry;
  /** Tests: injected resolver / dialer of the outbound client. */
  readonly client?: Pick<OutboundClientOptions, "resolver" | "dial">;
  readonly now?: () => number;
}

/** Statuses worth another try: the partner may recover (overload, outage, rate limit). */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Sends one postback attempt with the Standard Webhooks headers: `webhook-id` (the delivery id,
 * stable across retries: receivers dedupe on it), `webhook-timestamp` and, with secrets
 * configured, `webhook-signature`. 2xx is delivered; 408/425/429/5xx, timeouts and connection
 * errors are retried (Retry-After honoured); a 3xx (redirects are not followed), any other 4xx,
 * a blocked or unparsable target is final: straight to postbacks.dlq with the reason.
 */
export function postbackHandler(o: PostbackHandlerOptions): DeliveryHandler<PostbackDelivery> & {
  close(): Promise<void>;
} {
  const now = o.now ?? Date.now;
  const client = new OutboundClient({
    name: POSTBACK_DELIVERY,
    policy: outboundPolicy(o.outbound),
    gate: hostGateOptions(o.outbound),
    connectTimeoutMs: o.outbound.connectTimeoutMs,
    maxResponseBytes: Math.min(o.excerptBytes, o.outbound.maxResponseBytes),
    maxConnectionsPerHost: o.outbound.maxConcurrentPerHost,
    ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
    ...o.client,
  });
  const latency =
    o.metrics &&
    histogram(
      o.metrics,
      "tributary_postback_attempt_duration_seconds",
      "Postback attempt latency by result class",
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ["result"],
    );
  const observe = (startedAtMs: number, outcome: AttemptOutcome): AttemptOutcome => {
    latency?.observe({ result: resultClass(outcome) }, (now() - startedAtMs) / 1000);
    return outcome;
  };
  return {
    name: POSTBACK_DELIVERY,
    topic: "postbacks",
    message: PostbackDeliverySchema,
    // A redriven dead letter is another try of a delivery the ledger gave up: its own key, so it
    // is not skipped as finished; receivers still see the delivery's own webhook-id.
    keyOf: ({ message, record }) => {
      const redrive = record.headers[REDRIVE_HEADER];
      return redrive === undefined ? message.deliveryId : `${message.deliveryId}~${redrive}`;
    },
    async attempt(decoded, _key, attempt, signal) {
      const { message } = decoded;
      const startedAtMs = now();
      if (!METHODS.has(message.method)) {
        return observe(startedAtMs, {
          delivered: false,
          retryable: false,
          status: "invalid_target",
          error: `method "${message.method}" is not one of ${[...METHODS].join(", ")}`,
        });
      }
      const body = METHODS_WITH_BODY.has(message.method) ? message.bodyJson : undefined;
      const timestampS = Math.floor(startedAtMs / 1000);
      const headers: Record<string, string> = {
        "user-agent": "tributary-postbacks/1",
        "webhook-id": message.deliveryId,
        "webhook-timestamp": String(timestampS),
        // Not part of the spec: lets a receiver see retries (the id stays the same).
        "x-tributary-attempt": String(attempt),
        ...outboundTraceHeaders(decoded),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(o.signingKeys.length === 0
          ? {}
          : { "webhook-signature": webhookSignature(o.signingKeys, message.deliveryId, timestampS, body ?? "") }),
      };
      try {
        const response = await client.request({
          method: message.method,
          url: message.url,
          headers,
          ...(body === undefined ? {} : { body }),
          timeoutMs: o.requestTimeoutMs,
          signal,
        });
        const excerpt = response.body.toString("utf8");
        const status = `http ${response.status}`;
        if (response.status >= 200 && response.status < 300) {
          return observe(startedAtMs, { delivered: true, status, responseExcerpt: excerpt });
        }
        const retryable = retryableStatus(response.status);
        const wait = retryable ? retryAfterMs(response.headers["retry-after"], now()) : undefined;
        return observe(startedAtMs, {
          delivered: false,
          retryable,
          status,
          error:
            response.status >= 300 && response.status < 400
              ? `redirect to ${String(response.headers.location ?? "?")} not followed`
              : `partner answered ${response.status}`,
          responseExcerpt: excerpt,
          ...(wait === undefined ? {} : { retryAfterMs: wait }),
        });
      } catch (err) {
        if (err instanceof OutboundError) {
          return observe(startedAtMs, {
            delivered: false,
            retryable: err.canRetry,
            status: err.kind,
            error: err.message,
            ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
          });
        }
        return observe(startedAtMs, { delivered: false, retryable: true, status: "error", error: String(err) });
      }
    },
    close: () => client.close(),
  };
}

function resultClass(outcome: AttemptOutcome): string {
  const code = /^http (\d)/.exec(outcome.status)?.[1];
  return code === undefined ? outcome.status : `${code}xx`;
}
