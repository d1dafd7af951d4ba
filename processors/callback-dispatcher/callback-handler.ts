import { toJsonString } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { type TransactionTimedOut, TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import { OutboundClient } from "../../runtime/outbound/outbound-client.js";
import { hostGateOptions, type OutboundConfig, outboundPolicy } from "../../runtime/outbound/outbound-config.js";
import type { DeliveryHandler } from "../../runtime/processor/delivery.js";
import { outboundTraceHeaders } from "../../runtime/processor/delivery-span.js";
import { parseCallbackTarget } from "./callback-target.js";
import { ConnectCallbacks } from "./connect-call.js";
import { postWebhook } from "./webhook-call.js";

export const CALLBACK_DISPATCHER = "callback-dispatcher";
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/**
 * Invokes a timed-out transaction's callback: the webhook gets the TransactionTimedOut as JSON
 * (its Protobuf JSON form: the Start's data under "started", plus idempotencyKey and times), a
 * CallbackService gets it as the OnTimeout request. Both carry the key in `Idempotency-Key`.
 * Both go through the outbound policy: a target that is or resolves to a blocked address is
 * given up at once (DLQ with the reason), never called.
 */
export function callbackHandler(options: {
  requestTimeoutMs: number;
  maxConnectionsPerOrigin: number;
  outbound: OutboundConfig;
  metrics?: Registry;
}): DeliveryHandler<TransactionTimedOut> & { close(): Promise<void> } {
  const policy = outboundPolicy(options.outbound);
  const client = new OutboundClient({
    name: CALLBACK_DISPATCHER,
    policy,
    gate: hostGateOptions(options.outbound),
    connectTimeoutMs: options.outbound.connectTimeoutMs,
    maxResponseBytes: options.outbound.maxResponseBytes,
    maxConnectionsPerHost: options.maxConnectionsPerOrigin,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  const connect = new ConnectCallbacks(policy);
  return {
    name: CALLBACK_DISPATCHER,
    topic: "transactions.timeouts",
    message: TransactionTimedOutSchema,
    keyOf: ({ message }) => message.idempotencyKey,
    async attempt(decoded, key, attempt, signal) {
      const { message } = decoded;
      let target: ReturnType<typeof parseCallbackTarget>;
      try {
        target = parseCallbackTarget(message.started?.callbackTarget ?? "", "started.callback_target", policy);
      } catch (err) {
        const field = err instanceof TributaryError && err.field !== undefined ? `${err.field}: ` : "";
        return { delivered: false, retryable: false, status: "invalid target", error: `${field}${errorMessage(err)}` };
      }
      const headers = {
        [IDEMPOTENCY_KEY_HEADER]: key,
        "X-Tributary-Attempt": String(attempt),
        ...outboundTraceHeaders(decoded),
      };
      if (target.kind === "connect") {
        return connect.onTimeout(target.baseUrl, message, headers, options.requestTimeoutMs, signal);
      }
      const body = toJsonString(TransactionTimedOutSchema, message);
      return postWebhook(
        client,
        target.url,
        body,
        { ...headers, "User-Agent": "tributary-callback-dispatcher" },
        options.requestTimeoutMs,
        signal,
      );
    },
    close: () => client.close(),
  };
}
