import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { TransactionTimedOut } from "../../gen/transactions/v1/transaction_event_pb.js";
import { CallbackService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { guardedLookup } from "../../runtime/outbound/guarded-resolve.js";
import { findOutboundError } from "../../runtime/outbound/outbound-error.js";
import type { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { AttemptOutcome } from "../../runtime/processor/delivery.js";

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

/** OnTimeout answers are empty messages: anything bigger is not a CallbackService. */
const READ_MAX_BYTES = 64 * 1024;

/**
 * Connect clients of CallbackService, one per base URL. Their connections resolve names through
 * the outbound policy (the checked address is the one dialled); literal hosts are checked by
 * parseCallbackTarget before a call, since node skips `lookup` for them.
 */
export class ConnectCallbacks {
  readonly #clients = new Map<string, Client<typeof CallbackService>>();
  readonly #lookup: ReturnType<typeof guardedLookup>;

  constructor(policy: OutboundPolicy) {
    this.#lookup = guardedLookup(policy);
  }

  async onTimeout(
    baseUrl: string,
    timeout: TransactionTimedOut,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    let client = this.#clients.get(baseUrl);
    if (client === undefined) {
      client = createClient(
        CallbackService,
        createConnectTransport({
          baseUrl,
          httpVersion: "1.1",
          readMaxBytes: READ_MAX_BYTES,
          nodeOptions: { lookup: this.#lookup as never },
        }),
      );
      this.#clients.set(baseUrl, client);
    }
    try {
      await client.onTimeout(timeout, { headers, timeoutMs, signal });
      return { delivered: true, status: "connect ok" };
    } catch (err) {
      // A refused lookup (blocked address) surfaces wrapped as unavailable: it must stay final.
      const outbound = findOutboundError(err);
      if (outbound !== undefined) {
        return { delivered: false, retryable: outbound.canRetry, status: outbound.kind, error: outbound.message };
      }
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
