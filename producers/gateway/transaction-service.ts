import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { TransactionEventSchema, TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import type { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { parseCallbackTarget } from "../../processors/callback-dispatcher/index.js";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import type { GatewayConfig } from "./config.js";
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
  ) => {
    const record = deps.codec.encode(
      deps.transactionsTopic,
      TransactionEventSchema,
      create(TransactionEventSchema, event),
      transactionId,
      headers,
    );
    try {
      await deps.producer.send(deps.transactionsTopic, record);
    } catch (err) {
      throw toConnectError(err);
    }
  };
  return {
    async start(req, ctx) {
      requireId("client_id", req.clientId);
      requireId("transaction_id", req.transactionId);
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
      );
      return { transactionId: req.transactionId, deadlineMs: BigInt(eventTimeMs + req.timeoutSeconds * 1000) };
    },
    async stop(req, ctx) {
      requireId("transaction_id", req.transactionId);
      await write(
        req.transactionId,
        {
          eventTimeMs: BigInt(now()),
          event: { case: "stopped", value: { transactionId: req.transactionId } },
        },
        traceHeaders(ctx),
      );
      return { transactionId: req.transactionId };
    },
    async listPending(req) {
      requireId("client_id", req.clientId);
      try {
        return await deps.pending.list(req.clientId);
      } catch (err) {
        throw toConnectError(err);
      }
    },
  };
}

function requireId(field: string, value: string): void {
  if (value.trim() === "") throw invalid(field, "is required");
  if (value.length > MAX_ID_CHARS) throw invalid(field, `must be at most ${MAX_ID_CHARS} characters`);
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
