import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { PostbackDeliverySchema } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import { PostbackService } from "../../gen/postbacks/v1/postback_service_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import { counter } from "../../runtime/observability/metrics.js";
import type { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { Platform } from "../../runtime/platform.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { httpIdempotencyScope, idempotencyScopeOf } from "./idempotency-context.js";
import { derivedId, type IdempotencyScope } from "./idempotency-key.js";
import { fingerprintOf, type IdempotentWrites, jsonResultCodec } from "./idempotent-writes.js";
import type { JsonRoute } from "./json-route.js";
import { type PostbackLimits, readPostbackLimits } from "./postback-config.js";
import { type PostbackInput, preparePostback } from "./postback-request.js";
import { toConnectError } from "./to-connect-error.js";
import { childTraceparent, traceHeaders } from "./trace-context.js";

export interface PostbackAnswer {
  readonly requestId: string;
  readonly deliveryIds: string[];
}

interface SubmitDeps {
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  readonly topic: string;
  readonly limits: PostbackLimits;
  readonly policy: OutboundPolicy;
  readonly metrics: Registry;
  readonly idempotent: IdempotentWrites;
  readonly now?: () => number;
}

/** One scope for both doors: a key sent to POST /postback and to Submit is one request. */
const SUBMIT_METHOD = "postbacks.v1.PostbackService/Submit";

/** Validates everything, then writes one PostbackDelivery per data object; answers after the acks. */
function submitter(deps: SubmitDeps) {
  const now = deps.now ?? Date.now;
  const requests = counter(deps.metrics, "tributary_postback_requests_total", "Postback requests by door and result", [
    "door",
    "result",
  ]);
  const deliveries = counter(deps.metrics, "tributary_postback_deliveries_submitted_total", "Deliveries written");
  const submit = async (
    input: PostbackInput,
    traceparent: string,
    door: string,
    signal: AbortSignal | undefined,
    scope: IdempotencyScope | null,
  ): Promise<PostbackAnswer> => {
    let prepared: ReturnType<typeof preparePostback>;
    // Keyed: request and delivery ids derived from the key, so a retry after a crash writes the
    // same delivery ids and the delivery ledger sends each once.
    let n = 0;
    const newId = scope === null ? undefined : () => derivedId(scope, String(n++));
    try {
      prepared = preparePostback(input, deps.limits, deps.policy, newId);
    } catch (err) {
      requests.inc({ door, result: "rejected" });
      throw err;
    }
    const requestedAtMs = BigInt(now());
    const headers: Record<string, string> = traceparent === "" ? {} : { traceparent };
    const records = prepared.deliveries.map((d) =>
      deps.codec.encode(
        deps.topic,
        PostbackDeliverySchema,
        create(PostbackDeliverySchema, {
          deliveryId: d.deliveryId,
          requestId: prepared.requestId,
          method: d.method,
          url: d.url,
          bodyJson: d.bodyJson,
          requestedAtMs,
          index: d.index,
        }),
        d.deliveryId,
        headers,
      ),
    );
    try {
      await deps.producer.sendAll(deps.topic, records, signal === undefined ? {} : { signal });
    } catch (err) {
      requests.inc({ door, result: "failed" });
      throw err;
    }
    requests.inc({ door, result: "accepted" });
    deliveries.inc(records.length);
    return { requestId: prepared.requestId, deliveryIds: prepared.deliveries.map((d) => d.deliveryId) };
  };
  const codec = jsonResultCodec<PostbackAnswer>();
  return (
    input: PostbackInput,
    traceparent: string,
    door: string,
    scope: IdempotencyScope | null,
    signal?: AbortSignal,
  ): Promise<PostbackAnswer> => {
    if (scope === null) return submit(input, traceparent, door, signal, null);
    return deps.idempotent.run(scope, fingerprintOf(JSON.stringify(input)), codec, () =>
      submit(input, traceparent, door, signal, scope),
    );
  };
}

/** `{"endpoint": {"method", "url"}, "data": [{...}, ...]}` → PostbackInput, naming the bad field. */
export function parsePostbackBody(body: unknown): PostbackInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("body", 'must be a JSON object like {"endpoint": {"method": "GET", "url": "..."}, "data": [{...}]}');
  }
  const { endpoint, data, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw invalid(fieldName(unknown), `unknown field "${unknown}"; only endpoint and data are accepted`);
  if (typeof endpoint !== "object" || endpoint === null || Array.isArray(endpoint)) {
    throw invalid("endpoint", 'is required: {"method": "GET", "url": "https://..."}');
  }
  const { method, url, ...extra } = endpoint as Record<string, unknown>;
  const extraField = Object.keys(extra)[0];
  if (extraField !== undefined)
    throw invalid(`endpoint.${fieldName(extraField)}`, "unknown field; only method and url are accepted");
  if (typeof method !== "string") throw invalid("endpoint.method", "is required (a string: GET, POST, ...)");
  if (typeof url !== "string") throw invalid("endpoint.url", "is required (a string)");
  if (!Array.isArray(data)) throw invalid("data", "is required (an array of JSON objects)");
  return { method, url, data };
}

/** POST /postback and postbacks.v1.PostbackService/Submit over one submitter (wired in main.ts). */
export function postbackDoors(
  platform: Pick<Platform, "codec" | "metrics" | "topic" | "env">,
  producer: RecordProducer,
  policy: OutboundPolicy,
  idempotent: IdempotentWrites,
): { route: JsonRoute; register(router: ConnectRouter): void } {
  const limits = readPostbackLimits(platform.env);
  const submit = submitter({
    producer,
    codec: platform.codec,
    topic: platform.topic("postbacks"),
    limits,
    policy,
    metrics: platform.metrics,
    idempotent,
  });
  return {
    route: {
      method: "POST",
      path: "/postback",
      maxBodyBytes: limits.maxRequestBytes,
      async handle(body, req) {
        const header = req.headers.traceparent;
        const scope = httpIdempotencyScope(req, SUBMIT_METHOD);
        const answer = await submit(
          parsePostbackBody(body),
          childTraceparent(Array.isArray(header) ? header[0] : header),
          "http",
          scope === null ? null : { ...scope, method: SUBMIT_METHOD },
        );
        return { status: 200, body: answer };
      },
    },
    register(router) {
      router.service(
        PostbackService,
        {
          async submit(req, ctx) {
            const scope = idempotencyScopeOf(ctx);
            try {
              return await submit(
                { method: req.endpoint?.method ?? "", url: req.endpoint?.url ?? "", data: req.data },
                traceHeaders(ctx).traceparent ?? "",
                "rpc",
                scope === null ? null : { ...scope, method: SUBMIT_METHOD },
                ctx.signal,
              );
            } catch (err) {
              throw toConnectError(err);
            }
          },
        },
        { readMaxBytes: limits.maxRequestBytes, jsonOptions: { ignoreUnknownFields: false } },
      );
    },
  };
}

/** A JSON key as an error's field: the empty key (found by fuzzing) would otherwise name nothing. */
function fieldName(key: string): string {
  return key === "" ? '""' : key;
}

function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("invalid_argument", detail, { field });
}
