import { toJsonString } from "@bufbuild/protobuf";
import { Agent } from "undici";
import { type TransactionTimedOut, TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { DeliveryHandler } from "../../runtime/processor/run-deliveries.js";
import { parseCallbackTarget } from "./callback-target.js";
import { ConnectCallbacks } from "./connect-call.js";
import { postWebhook } from "./webhook-call.js";

export const CALLBACK_DISPATCHER = "callback-dispatcher";
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/**
 * Invokes a timed-out transaction's callback: the webhook gets the TransactionTimedOut as JSON
 * (its Protobuf JSON form: the Start's data under "started", plus idempotencyKey and times), a
 * CallbackService gets it as the OnTimeout request. Both carry the key in `Idempotency-Key`.
 */
export function callbackHandler(options: {
  requestTimeoutMs: number;
  maxConnectionsPerOrigin: number;
}): DeliveryHandler<TransactionTimedOut> & { close(): Promise<void> } {
  const agent = new Agent({ connections: options.maxConnectionsPerOrigin, keepAliveTimeout: 30_000 });
  const connect = new ConnectCallbacks();
  return {
    name: CALLBACK_DISPATCHER,
    topic: "transactions.timeouts",
    message: TransactionTimedOutSchema,
    keyOf: ({ message }) => message.idempotencyKey,
    async attempt({ message }, key, attempt, signal) {
      let target: ReturnType<typeof parseCallbackTarget>;
      try {
        target = parseCallbackTarget(message.started?.callbackTarget ?? "", "started.callback_target");
      } catch (err) {
        const field = err instanceof TributaryError && err.field !== undefined ? `${err.field}: ` : "";
        return { delivered: false, retryable: false, status: "invalid target", error: `${field}${errorMessage(err)}` };
      }
      const headers = { [IDEMPOTENCY_KEY_HEADER]: key, "X-Tributary-Attempt": String(attempt) };
      if (target.kind === "connect") {
        return connect.onTimeout(target.baseUrl, message, headers, options.requestTimeoutMs, signal);
      }
      const body = toJsonString(TransactionTimedOutSchema, message);
      return postWebhook(
        agent,
        target.url,
        body,
        { ...headers, "User-Agent": "tributary-callback-dispatcher" },
        options.requestTimeoutMs,
        signal,
      );
    },
    close: () => agent.close(),
  };
}
