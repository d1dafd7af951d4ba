import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import {
  MinuteCountSchema,
  type PingResponse,
  PingResponseSchema,
  type PingService,
} from "../../gen/ping/v1/ping_service_pb.js";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import type { GatewayConfig } from "./config.js";
import { idempotencyScopeOf, protoResultCodec } from "./idempotency-context.js";
import { derivedId, IDEMPOTENCY_RECORD_HEADER } from "./idempotency-key.js";
import { fingerprintOf, type IdempotentWrites } from "./idempotent-writes.js";
import type { PingCountReader } from "./ping-count-reader.js";
import { toConnectError } from "./to-connect-error.js";
import { traceHeaders } from "./trace-context.js";

export interface PingServiceDeps {
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  readonly pingsTopic: string;
  readonly counts: PingCountReader;
  readonly config: GatewayConfig;
  /** Result cache of keyed writes (Idempotency-Key header or the request's idempotency_key); without it keyed pings still get derived ids. */
  readonly idempotent?: IdempotentWrites;
  readonly now?: () => number;
}

const pingResultCodec = protoResultCodec(PingResponseSchema);

// PingBatch and PingStream live in ping-batch.ts (registered with router.rpc in main.ts).
export function pingServiceImpl(deps: PingServiceDeps): Pick<ServiceImpl<typeof PingService>, "ping" | "pingCount"> {
  const now = deps.now ?? Date.now;
  return {
    async ping(req, ctx) {
      const timestampMs = Number(req.timestampMs);
      if (timestampMs === 0) throw invalid("timestamp_ms", "is required (milliseconds since the Unix epoch)");
      if (timestampMs < 0) throw invalid("timestamp_ms", `must be > 0, got ${req.timestampMs}`);
      if (timestampMs > now() + deps.config.pingMaxFutureMs) {
        throw invalid("timestamp_ms", `is too far in the future (${req.timestampMs}); milliseconds expected`);
      }
      const scope = idempotencyScopeOf(ctx, { name: "idempotency_key", value: req.idempotencyKey });
      const write = async (id: string, extraHeaders: Record<string, string>): Promise<PingResponse> => {
        const record = deps.codec.encode(
          deps.pingsTopic,
          PingRecordedSchema,
          create(PingRecordedSchema, { id, timestampMs: req.timestampMs, acceptedAtMs: BigInt(now()) }),
          id,
          { ...traceHeaders(ctx), ...extraHeaders },
        );
        try {
          // The record timestamp stays the producer's clock: retention works on it, and a ping dated 1974
          // (seen in the seed's data) must not be deleted as soon as it is written.
          const position = await deps.producer.send(deps.pingsTopic, record, { signal: ctx.signal });
          return create(PingResponseSchema, {
            id,
            timestampMs: req.timestampMs,
            partition: position.partition,
            offset: BigInt(position.offset),
          });
        } catch (err) {
          throw toConnectError(err);
        }
      };
      if (scope === null) return write(randomUUID(), {});
      // Keyed: the id is derived from (tenant, key), so a retry after a crash writes the same id
      // and the counter and the pings table count it once; a retry after the ack gets the cached answer.
      const keyedWrite = () => write(derivedId(scope), { [IDEMPOTENCY_RECORD_HEADER]: scope.key });
      if (deps.idempotent === undefined) return keyedWrite();
      try {
        return await deps.idempotent.run(scope, fingerprintOf(String(req.timestampMs)), pingResultCodec, keyedWrite);
      } catch (err) {
        throw toConnectError(err);
      }
    },
    async pingCount(req) {
      const fromMs = Number(req.fromMs);
      const toMs = Number(req.toMs);
      let range: { fromMs: number; toMs: number } | null = null;
      if (fromMs !== 0 || toMs !== 0) {
        if (fromMs < 0) throw invalid("from_ms", "must be >= 0");
        if (toMs <= fromMs) throw invalid("to_ms", `must be greater than from_ms (${fromMs})`);
        if ((toMs - fromMs) / 60_000 > deps.config.pingCountMaxMinutes) {
          throw invalid("to_ms", `range wider than ${deps.config.pingCountMaxMinutes} minutes`);
        }
        range = { fromMs, toMs };
      }
      try {
        const counts = await deps.counts.read(range);
        return {
          total: BigInt(counts.total),
          minutes: counts.minutes.map((m) =>
            create(MinuteCountSchema, { minute: BigInt(m.minute), count: BigInt(m.count) }),
          ),
          source: counts.source,
        };
      } catch (err) {
        throw toConnectError(err);
      }
    },
  };
}

function invalid(field: string, detail: string): ConnectError {
  return new ConnectError(`${field}: ${detail}`, Code.InvalidArgument);
}
