import { type Notification, NotificationSchema } from "../../gen/notifications/v1/notification_pb.js";
import { TributaryError } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/observability/logger.js";
import type { Projection } from "../../runtime/processor/projection.js";
import type { NotificationRow } from "./notification-rows.js";

export const NOTIFICATION_LOGGER = "notification-logger";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function poison(field: string, message: string): TributaryError {
  return new TributaryError("invalid_argument", message, { field });
}

/** Trace id of a W3C `traceparent` header, or null when there is none (or it is malformed). */
export function traceIdOf(traceparent: string | undefined): string | null {
  return TRACEPARENT.exec(traceparent ?? "")?.[1] ?? null;
}

/**
 * Decoded notification → row + one structured log line (id, description, timestamp, partition,
 * offset, trace id). The line is written when the record is folded, before its commit: a record
 * re-read after a crash or an offset conflict is logged again (at-least-once logging), while the
 * table gets it exactly once. A record Postgres could not store (bad timestamp, NUL character)
 * goes to notifications.dlq instead of failing the whole commit.
 */
export function notificationLoggerProjection(log: Logger): Projection<Notification, NotificationRow[]> {
  const lines = log.child({ component: NOTIFICATION_LOGGER });
  return {
    name: NOTIFICATION_LOGGER,
    topic: "notifications",
    message: NotificationSchema,
    emptyBatch: () => [],
    add(batch, { message, record }) {
      if (message.id <= 0n) throw poison("id", `must be positive, got ${message.id}`);
      if (!RFC3339_UTC.test(message.timestamp) || Number.isNaN(Date.parse(message.timestamp))) {
        throw poison("timestamp", `must be RFC 3339 UTC, got "${message.timestamp}"`);
      }
      if (message.description.includes("\u0000")) throw poison("description", "contains U+0000");
      const row: NotificationRow = {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        id: message.id.toString(),
        description: message.description,
        timestamp: message.timestamp,
        traceId: traceIdOf(record.headers.traceparent),
      };
      lines.info(
        {
          notification: { id: row.id, description: row.description, timestamp: row.timestamp },
          partition: row.partition,
          offset: row.offset,
          traceId: row.traceId,
        },
        "notification",
      );
      batch.push(row);
    },
  };
}
