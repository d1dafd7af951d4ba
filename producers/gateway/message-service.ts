import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Service as CleanerService } from "../../gen/awakari/messages/cleaner/service_pb.js";
import { Service as AwakariMessagesService } from "../../gen/awakari/messages/service_pb.js";
import { MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { MessageService } from "../../gen/messages/v1/message_service_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { KafkaAdapter, OutgoingRecord, RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { type CleanWriter, type MessagesReader, writeCleanCommands } from "../../sinks/messages/index.js";
import {
  CONSISTENCY_TOKEN_HEADER,
  formatToken,
  mergeTargets,
  type PartitionTargets,
  parseToken,
  targetsOf,
} from "./consistency-token.js";
import { keyedUnary } from "./idempotency-context.js";
import type { IdempotentWrites } from "./idempotent-writes.js";
import type { MessageServiceConfig } from "./message-config.js";
import { validateIds, validatePutBatch } from "./message-validation.js";
import type { ProjectionOffsetsWaiter } from "./projection-offsets-waiter.js";
import { toConnectError } from "./to-connect-error.js";
import { traceHeaders } from "./trace-context.js";

export interface MessageServiceDeps {
  readonly kafka: KafkaAdapter;
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  /** Physical name of the `messages` topic. */
  readonly messagesTopic: string;
  readonly reader: MessagesReader;
  readonly waiter: ProjectionOffsetsWaiter;
  readonly config: MessageServiceConfig;
  /**
   * Result cache of keyed PutBatch/DeleteBatch calls (Idempotency-Key): a retry answers the first
   * ack count and token. The records need no derived id: a put is an upsert by event id and a
   * delete of a deleted id changes nothing, so the sink applies a repeated command once in effect.
   */
  readonly idempotent?: IdempotentWrites;
  readonly now?: () => number;
}

/** Turns anything thrown into the Connect error the caller sees (fields named). */
async function edge<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toConnectError(err);
  }
}

/**
 * The temporary CloudEvents store. Writes are MessageCommand records on `messages` (key: event id)
 * answered after the broker's ack; reads come from the sink's Postgres projection once it has
 * applied what the caller must see: the offsets in the caller's consistency token (field or
 * `tributary-consistency-token` header) and everything this gateway had acknowledged when the
 * read arrived, so clients that never pass a token (the seed's) read their writes too.
 */
export function messageServiceImpl(deps: MessageServiceDeps): ServiceImpl<typeof MessageService> {
  const now = deps.now ?? Date.now;
  const { config, waiter } = deps;
  const cleanWriter: CleanWriter = {
    kafka: deps.kafka,
    producer: deps.producer,
    codec: deps.codec,
    topic: deps.messagesTopic,
  };

  const write = async (records: readonly OutgoingRecord[], ctx: HandlerContext): Promise<string> => {
    const targets = targetsOf(await deps.producer.sendAll(deps.messagesTopic, records, { signal: ctx.signal }));
    waiter.noteWritten(targets);
    const token = formatToken(targets);
    ctx.responseHeader.set(CONSISTENCY_TOKEN_HEADER, token);
    return token;
  };

  const command = (
    key: string,
    value: Parameters<typeof create<typeof MessageCommandSchema>>[1],
    headers: Record<string, string>,
  ) => deps.codec.encode(deps.messagesTopic, MessageCommandSchema, create(MessageCommandSchema, value), key, headers);

  /** What a read must see: the caller's tokens plus this gateway's acknowledged writes. */
  const readTargets = (fieldToken: string, ctx: HandlerContext): PartitionTargets => {
    const fromField = parseToken(fieldToken);
    if (fromField === null)
      throw new TributaryError("invalid_argument", "malformed token", { field: "consistency_token" });
    const fromHeader = parseToken(ctx.requestHeader.get(CONSISTENCY_TOKEN_HEADER) ?? "");
    if (fromHeader === null)
      throw new TributaryError("invalid_argument", "malformed token", { field: CONSISTENCY_TOKEN_HEADER });
    return mergeTargets(fromField, fromHeader, waiter.written());
  };

  return {
    putBatch: (req, ctx) =>
      edge(async () => {
        validatePutBatch(req.msgs, config);
        if (req.msgs.length === 0) return { ackCount: 0, consistencyToken: "" };
        return keyedUnary(deps.idempotent, ctx, req, async () => {
          const headers = traceHeaders(ctx);
          const commandTimeMs = BigInt(now());
          const token = await write(
            req.msgs.map((event) =>
              command(event.id, { command: { case: "put", value: event }, commandTimeMs }, headers),
            ),
            ctx,
          );
          return { ackCount: req.msgs.length, consistencyToken: token };
        });
      }),
    getBatch: (req, ctx) =>
      edge(async () => {
        validateIds(req.ids, config);
        await waiter.waitFor(readTargets(req.consistencyToken, ctx), config.readWaitMs, ctx.signal);
        return { msgs: await deps.reader.events(req.ids) };
      }),
    deleteBatch: (req, ctx) =>
      edge(async () => {
        validateIds(req.ids, config);
        const ids = [...new Set(req.ids)];
        await waiter.waitFor(readTargets(req.consistencyToken, ctx), config.readWaitMs, ctx.signal);
        const count = await deps.reader.countStored(ids);
        if (ids.length === 0) return { count, consistencyToken: "" };
        return keyedUnary(deps.idempotent, ctx, req, async () => {
          const headers = traceHeaders(ctx);
          const commandTimeMs = BigInt(now());
          const token = await write(
            ids.map((id) => command(id, { command: { case: "deleteId", value: id }, commandTimeMs }, headers)),
            ctx,
          );
          return { count, consistencyToken: token };
        });
      }),
    clean: (_req, ctx) =>
      edge(async () => {
        const nowMs = now();
        const cleanId = randomUUID();
        const positions = await writeCleanCommands(
          cleanWriter,
          { cleanId, cutoffMs: nowMs - config.retentionMs, nowMs },
          traceHeaders(ctx),
        );
        const targets = targetsOf(positions);
        waiter.noteWritten(targets);
        await waiter.waitFor(targets, config.cleanWaitMs, ctx.signal);
        const count = await deps.reader.cleanedCount(cleanId, positions.length);
        if (count === null)
          throw new TributaryError("unavailable", "clean applied but its counts are missing (replay in progress?)", {
            canRetry: true,
          });
        return { count };
      }),
  };
}

/** Registers the one implementation under its own name and the seed's two service names. */
export function registerMessageServices(router: ConnectRouter, impl: ServiceImpl<typeof MessageService>): void {
  router.service(MessageService, impl);
  router.service(AwakariMessagesService, impl);
  router.service(CleanerService, { clean: impl.clean });
}
