-- Notifications as the notification-logger consumed them, one row per record of the topic
-- (exactly once: rows and the consumer's offsets commit in one transaction). The seed's ids are
-- not unique (every example is 123), so the row's identity is its position in the topic (the
-- physical name: topics of several TOPIC_PREFIXes may share one database).
CREATE TABLE notifications (
  source_topic text NOT NULL,
  source_partition int NOT NULL,
  source_offset bigint NOT NULL,
  id bigint NOT NULL,
  description text NOT NULL,
  -- Exactly as stamped by the gateway: RFC 3339, nine fraction digits, UTC.
  "timestamp" text NOT NULL,
  -- The same instant for range queries (Postgres keeps microseconds).
  notified_at timestamptz NOT NULL,
  trace_id text,
  logged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_topic, source_partition, source_offset)
);
CREATE INDEX notifications_id ON notifications (id);
CREATE INDEX notifications_notified_at ON notifications (notified_at);
