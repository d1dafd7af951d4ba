import { TributaryError } from "../../runtime/errors.js";
import { httpIdempotencyScope } from "./idempotency-context.js";
import type { JsonRoute } from "./json-route.js";
import { NOTIFICATION_LIMITS, parseEventBody, parseJsonKeepingNumbers } from "./notification-input.js";
import { type NotificationPublisher, PUBLISH_METHOD } from "./notification-publisher.js";
import { childTraceparent } from "./trace-context.js";

/** JSON.rawJSON (Node ≥ 22): writes an int64 id as the exact JSON number it is. */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * `POST /event` with the seed's body `{"id": 123, "description": "hello world"}`: answers 200 with
 * the stamped notification `{"id", "description", "timestamp"}` once the broker acknowledged it.
 */
export function eventRoute(publisher: NotificationPublisher): JsonRoute {
  return {
    method: "POST",
    path: "/event",
    maxBodyBytes: NOTIFICATION_LIMITS.maxBodyBytes,
    parseBody: parseJsonKeepingNumbers,
    async handle(body, req) {
      let input: ReturnType<typeof parseEventBody>;
      try {
        input = parseEventBody(body);
      } catch (err) {
        if (err instanceof TributaryError) publisher.count("event", "rejected");
        throw err;
      }
      const header = req.headers.traceparent;
      const traceparent = childTraceparent(Array.isArray(header) ? header[0] : header);
      const scope = httpIdempotencyScope(req, PUBLISH_METHOD);
      const notification = await publisher.publish(input, traceparent, "event", undefined, scope);
      return {
        status: 200,
        body: {
          id: rawJson(notification.id.toString()),
          description: notification.description,
          timestamp: notification.timestamp,
        },
      };
    },
  };
}
