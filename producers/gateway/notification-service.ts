import type { ServiceImpl } from "@connectrpc/connect";
import type { NotificationService } from "../../gen/notifications/v1/notification_service_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { Platform } from "../../runtime/platform.js";
import { eventRoute } from "./event-route.js";
import { idempotencyScopeOf } from "./idempotency-context.js";
import type { IdempotentWrites } from "./idempotent-writes.js";
import type { JsonRoute } from "./json-route.js";
import { NotificationClock } from "./notification-clock.js";
import { checkNotification } from "./notification-input.js";
import { NotificationPublisher } from "./notification-publisher.js";
import { toConnectError } from "./to-connect-error.js";
import { traceHeaders } from "./trace-context.js";

/** NotificationService/Publish over Connect, gRPC and gRPC-Web: the same rules as POST /event. */
export function notificationServiceImpl(publisher: NotificationPublisher): ServiceImpl<typeof NotificationService> {
  return {
    async publish(req, ctx) {
      let input: ReturnType<typeof checkNotification>;
      const scope = idempotencyScopeOf(ctx);
      try {
        input = checkNotification(req.id, req.description);
      } catch (err) {
        if (err instanceof TributaryError) publisher.count("publish", "rejected");
        throw toConnectError(err);
      }
      try {
        return await publisher.publish(input, traceHeaders(ctx).traceparent ?? "", "publish", ctx.signal, scope);
      } catch (err) {
        throw toConnectError(err);
      }
    },
  };
}

/** Both notification doors of the gateway over one publisher (wired in main.ts). */
export function notificationDoors(
  platform: Pick<Platform, "codec" | "metrics" | "topic">,
  producer: RecordProducer,
  idempotent: IdempotentWrites,
): {
  service: ServiceImpl<typeof NotificationService>;
  handlerOptions: { jsonOptions: { ignoreUnknownFields: false } };
  eventRoute: JsonRoute;
} {
  const publisher = new NotificationPublisher({
    producer,
    codec: platform.codec,
    topic: platform.topic("notifications"),
    clock: new NotificationClock(),
    metrics: platform.metrics,
    idempotent,
  });
  return {
    service: notificationServiceImpl(publisher),
    // An unknown JSON field is refused (invalid_argument naming it), as on POST /event.
    handlerOptions: { jsonOptions: { ignoreUnknownFields: false } },
    eventRoute: eventRoute(publisher),
  };
}
