import { create } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";
import { type Notification, NotificationSchema } from "../../gen/notifications/v1/notification_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import { counter } from "../../runtime/observability/metrics.js";
import type { TopicCodec } from "../../runtime/serde/topic-codec.js";
import { protoResultCodec } from "./idempotency-context.js";
import type { IdempotencyScope } from "./idempotency-key.js";
import { fingerprintOf, type IdempotentWrites } from "./idempotent-writes.js";
import type { NotificationClock } from "./notification-clock.js";
import type { NotificationInput } from "./notification-input.js";

export interface NotificationPublisherDeps {
  readonly producer: RecordProducer;
  readonly codec: TopicCodec;
  /** Physical name of the `notifications` topic. */
  readonly topic: string;
  readonly clock: NotificationClock;
  readonly metrics: Registry;
  /** Result cache of keyed publishes: a retry answers the first stamped notification. */
  readonly idempotent: IdempotentWrites;
}

/** One scope for both doors: a key sent to POST /event and to Publish is one request. */
export const PUBLISH_METHOD = "notifications.v1.NotificationService/Publish";
const notificationCodec = protoResultCodec(NotificationSchema);

export type NotificationOutcome = "accepted" | "rejected" | "failed";

/**
 * Stamps and writes notifications for both doors (POST /event and NotificationService/Publish):
 * one record keyed by the id (decimal), answered once the broker acknowledged it (acks=all).
 * The producer reconnects by itself after a broker outage; a send during one fails `unavailable`.
 */
export class NotificationPublisher {
  readonly #deps: NotificationPublisherDeps;
  readonly #outcomes;

  constructor(deps: NotificationPublisherDeps) {
    this.#deps = deps;
    this.#outcomes = counter(
      deps.metrics,
      "tributary_notifications_total",
      "Notification requests by door and outcome (accepted: acknowledged by the broker)",
      ["door", "outcome"],
    );
  }

  count(door: "event" | "publish", outcome: NotificationOutcome): void {
    this.#outcomes.inc({ door, outcome });
  }

  /**
   * `signal`: the caller's deadline or disconnect (see RecordProducer.send). With a scope (the
   * caller's Idempotency-Key), a repeat within the window answers the first notification unwritten.
   */
  async publish(
    input: NotificationInput,
    traceparent: string,
    door: "event" | "publish",
    signal?: AbortSignal,
    scope: IdempotencyScope | null = null,
  ): Promise<Notification> {
    if (scope === null) return this.#publish(input, traceparent, door, signal);
    const fingerprint = fingerprintOf(`${input.id}\u0000${input.description}`);
    return this.#deps.idempotent.run({ ...scope, method: PUBLISH_METHOD }, fingerprint, notificationCodec, () =>
      this.#publish(input, traceparent, door, signal),
    );
  }

  async #publish(
    input: NotificationInput,
    traceparent: string,
    door: "event" | "publish",
    signal: AbortSignal | undefined,
  ): Promise<Notification> {
    const { codec, producer, topic, clock } = this.#deps;
    const notification = create(NotificationSchema, {
      id: input.id,
      description: input.description,
      timestamp: clock.now(),
    });
    const record = codec.encode(topic, NotificationSchema, notification, input.id.toString(), { traceparent });
    try {
      await producer.send(topic, record, signal === undefined ? {} : { signal });
    } catch (err) {
      this.count(door, "failed");
      throw err instanceof TributaryError ? err : new TributaryError("internal", String(err), { cause: err });
    }
    this.count(door, "accepted");
    return notification;
  }
}
