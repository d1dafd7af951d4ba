import { MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { NotificationSchema } from "../../gen/notifications/v1/notification_pb.js";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { PostbackDeliverySchema } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import { TransactionEventSchema, TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { DAY_MS, type TopicSpec } from "./topic-spec.js";

/** Topics that carry typed records. Each has a dead-letter topic `<name>.dlq`. */
const dataTopics: readonly Omit<TopicSpec, "deadLetter">[] = [
  {
    name: "pings",
    message: PingRecordedSchema,
    key: "ping id (UUID)",
    partitions: 6,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Accepted pings; source of ping:counters and the pings table.",
  },
  {
    name: "transactions",
    message: TransactionEventSchema,
    key: "transaction id",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Start and Stop events, keyed by transaction id so both stay ordered.",
  },
  {
    name: "transactions.timeouts",
    message: TransactionTimedOutSchema,
    key: "transaction id",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "One record per Start whose Stop missed its deadline; drives callbacks.",
  },
  {
    name: "postbacks",
    message: PostbackDeliverySchema,
    key: "delivery id",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "One HTTP delivery to a third party per data object of a postback request.",
  },
  {
    name: "notifications",
    message: NotificationSchema,
    key: "event id",
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Notifications stamped by the event service.",
  },
  {
    name: "messages",
    message: MessageCommandSchema,
    key: "CloudEvent id",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Puts and deletes of the temporary CloudEvents store (168h retention).",
  },
];

function deadLetterOf(topic: Omit<TopicSpec, "deadLetter">): TopicSpec {
  return {
    name: `${topic.name}.dlq`,
    message: null,
    key: `key of the failed ${topic.name} record`,
    partitions: 1,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: "delete",
    deadLetter: null,
    description: `Records of ${topic.name} that could not be processed; reason in tributary.dlq.* headers.`,
  };
}

/** The topic catalog: the one declaration of every topic. */
export const topicCatalog: readonly TopicSpec[] = dataTopics.flatMap((topic) => [
  { ...topic, deadLetter: `${topic.name}.dlq` },
  deadLetterOf(topic),
]);

export function topicSpec(name: string): TopicSpec {
  const spec = topicCatalog.find((t) => t.name === name);
  if (spec === undefined) throw new Error(`topic "${name}" is not in the catalog`);
  return spec;
}
