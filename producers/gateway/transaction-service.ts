import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { TransactionEventSchema, TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import {
  StartResponseSchema,
  StopResponseSchema,
  type TransactionService,
} from "../../gen/transactions/v1/transaction_service_pb.js";
import { parseCallbackTarget } from "../../processors/callback-dispatcher/index.js";
import { requireOwnClient } from "../../runtime/auth/index.js";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { principalOf } from "./auth-guard.js";
import type { GatewayConfig } from "./config.js";
import { keyedUnary } from "./idempotency-context.js";
import type { IdempotentWrites } from "./idempotent-writes.js";
import type { PendingTransactionsReader } from "./pending-transactions-reader.js";
import { toConnectError } from "./to-connect-error.js";
import { traceHeaders } from "./trace-context.js";

export interface TransactionServiceDeps {
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  /** Physical name of the `transactions` topic. */
  readonly transactionsTopic: string;
  readonly pending: PendingTransactionsReader;
  readonly config: GatewayConfig;
  /** Refuses callback targets that are literal blocked addresses (any spelling) or blocked names. */
  readonly outboundPolicy: OutboundPolicy;
  /**
   * Result cache of keyed Starts and Stops (Idempotency-Key): a retry answers the first Start's
   * deadline. The records need no derived id: the timer and the sink already ignore a second
   * Start of an open transaction id (duplicate_start) and a second Stop (stop_not_pending).
   */
  readonly idempotent?: IdempotentWrites;
  readonly now?: () => number;
}

/** Longest client or transaction id: ids are record keys and Dragonfly hash fields. */
const MAX_ID_CHARS = 256;

/**
 * Start and Stop become TransactionEvent records on `transactions`, keyed by transaction id so a
 * Start and its Stop stay ordered; the gateway's clock stamps their event time. Both answer once
 * the broker acknowledged the record (acks=all).
 */
export function transactionServiceImpl(deps: TransactionServiceDeps): ServiceImpl<typeof TransactionService> {
  const now = deps.now ?? Date.now;
  const { config } = deps;
  const write = async (
    transactionId: string,
    event: Parameters<typeof create<typeof TransactionEventSchema>>[1],
    headers: Record<string, string>,
    signal: AbortSignal,
  ) => {
    const record = deps.codec.encode(
      deps.transactionsTopic,
      TransactionEventSchema,
      create(TransactionEventSchema, event),
      transactionId,
      headers,
    );
    try {
      // The caller's deadline (ctx.signal) and the producer's own timeout both bound the wait.
      await deps.producer.send(deps.transactionsTopic, record, { signal });
    } catch (err) {
      throw toConnectError(err);
    }
  };
  // A Stop names only the transaction: it is refused when the timer holds that transaction pending
  // for another client. A Stop the timer has not seen a Start for (unknown, already timed out, or
  // not applied yet) cannot be attributed and passes; it stops nothing of another client's.
  const ownTransaction = async (ctx: HandlerContext, transactionId: string) => {
    const principal = principalOf(ctx);
    if (principal === undefined) return;
    let owner: string | null;
    try {
      owner = await deps.pending.ownerOf(transactionId);
    } catch (err) {
      throw toConnectError(err);
    }
    if (owner !== null && owner !== principal.clientId) {
      throw new ConnectError(
        `transaction_id: transaction ${transactionId} belongs to another client, not "${principal.clientId}"`,
        Code.PermissionDenied,
      );
    }
  };
  return {
    async start(req, ctx) {
      requireId("client_id", req.clientId);
      requireId("transaction_id", req.transactionId);
      ownClient(ctx, req.clientId);
      refuseNul("transaction_type", req.transactionType);
      refuseNul("callback_target", req.callbackTarget);
      if (req.timeoutSeconds <= 0) throw invalid("timeout_seconds", `must be > 0, got ${req.timeoutSeconds}`);
      if (req.timeoutSeconds > config.transactionMaxTimeoutSeconds) {
        throw invalid(
          "timeout_seconds",
          `must be <= ${config.transactionMaxTimeoutSeconds}, got ${req.timeoutSeconds}`,
        );
      }
      try {
        parseCallbackTarget(req.callbackTarget, "callback_target", deps.outboundPolicy);
      } catch (err) {
        throw err instanceof TributaryError ? toConnectError(err) : err;
      }
      checkPayload(req.payload, config.transactionMaxPayloadBytes);
      return keyedUnary(deps.idempotent, ctx, req, async () => {
        const eventTimeMs = now();
        await write(
          req.transactionId,
          {
            eventTimeMs: BigInt(eventTimeMs),
            event: {
              case: "started",
              value: create(TransactionStartedSchema, {
                clientId: req.clientId,
                transactionType: req.transactionType,
                transactionId: req.transactionId,
                callbackTarget: req.callbackTarget,
                payload: req.payload,
                timeoutSeconds: req.timeoutSeconds,
              }),
            },
          },
          traceHeaders(ctx),
          ctx.signal,
        );
        return create(StartResponseSchema, {
          transactionId: req.transactionId,
          deadlineMs: BigInt(eventTimeMs + req.timeoutSeconds * 1000),
        });
      });
    },
    async stop(req, ctx) {
      requireId("transaction_id", req.transactionId);
      await ownTransaction(ctx, req.transactionId);
      return keyedUnary(deps.idempotent, ctx, req, async () => {
        await write(
          req.transactionId,
          {
            eventTimeMs: BigInt(now()),
            event: { case: "stopped", value: { transactionId: req.transactionId } },
          },
          traceHeaders(ctx),
          ctx.signal,
        );
        return create(StopResponseSchema, { transactionId: req.transactionId });
      });
    },
    async listPending(req, ctx) {
      requireId("client_id", req.clientId);
      ownClient(ctx, req.clientId);
      try {
        return await deps.pending.list(req.clientId, { pageSize: req.pageSize, pageToken: req.pageToken });
      } catch (err) {
        throw toConnectError(err);
      }
    },
  };
}

/** A key acts only within its client id (AUTH_MODE=off: no principal, no check). */
function ownClient(ctx: HandlerContext, clientId: string): void {
  try {
    requireOwnClient(principalOf(ctx), "client_id", clientId);
  } catch (err) {
    throw toConnectError(err);
  }
}

function requireId(field: string, value: string): void {
  if (value.trim() === "") throw invalid(field, "is required");
  if (value.length > MAX_ID_CHARS) throw invalid(field, `must be at most ${MAX_ID_CHARS} characters`);
  refuseNul(field, value);
}

/**
 * Postgres text cannot hold U+0000: a Start carrying one was accepted, then failed the
 * transactions sink's commit on every retry (found by fuzzing). The URL parser even strips a
 * trailing one from a callback target, so the raw text is checked.
 */
function refuseNul(field: string, value: string): void {
  if (value.includes("\u0000")) throw invalid(field, "must not contain U+0000");
}

function checkPayload(
  payload: { case: "payloadJson"; value: string } | { case: "payloadBytes"; value: Uint8Array } | { case: undefined },
  maxBytes: number,
): void {
  if (payload.case === "payloadJson") {
    if (Buffer.byteLength(payload.value) > maxBytes) throw invalid("payload_json", `must be at most ${maxBytes} bytes`);
    try {
      JSON.parse(payload.value);
    } catch (err) {
      throw invalid("payload_json", `must be valid JSON: ${errorMessage(err)}`);
    }
  } else if (payload.case === "payloadBytes" && payload.value.byteLength > maxBytes) {
    throw invalid("payload_bytes", `must be at most ${maxBytes} bytes`);
  }
}

function invalid(field: string, detail: string): ConnectError {
  return new ConnectError(`${field}: ${detail}`, Code.InvalidArgument);
}
