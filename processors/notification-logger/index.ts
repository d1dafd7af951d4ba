/**
 * Contract of the notification logger: its name (consumer group, offsets) and its replay target.
 * Users read its output from the logs and the `notifications` table (SQL); the rest is internal.
 */
export { NOTIFICATION_LOGGER } from "./notification-projection.js";
export { notificationLoggerReplayTarget } from "./notification-replay.js";
