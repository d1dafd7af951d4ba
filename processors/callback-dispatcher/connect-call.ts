import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { TransactionTimedOut } from "../../gen/transactions/v1/transaction_event_pb.js";
import { CallbackService } from "../../gen/transactions/v1/transaction_service_pb.js";
import type { AttemptOutcome } from "../../runtime/processor/run-deliveries.js";

/** Codes after which the same call may succeed later; the others mean the client refuses it. */
const RETRYABLE = new Set<Code>([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.ResourceExhausted,
  Code.Aborted,
  Code.Internal,
  Code.Unknown,
  Code.Canceled,
]);

/** Connect clients of CallbackService, one per base URL. */
export class ConnectCallbacks {
  readonly #clients = new Map<string, Client<typeof CallbackService>>();

  async onTimeout(
    baseUrl: string,
    timeout: TransactionTimedOut,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    let client = this.#clients.get(baseUrl);
    if (client === undefined) {
      client = createClient(CallbackService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
      this.#clients.set(baseUrl, client);
    }
    try {
      await client.onTimeout(timeout, { headers, timeoutMs, signal });
      return { delivered: true, status: "connect ok" };
    } catch (err) {
      const connectErr = ConnectError.from(err);
      return {
        delivered: false,
        retryable: RETRYABLE.has(connectErr.code),
        status: `connect ${Code[connectErr.code]}`,
        error: connectErr.rawMessage,
      };
    }
  }
}
