import type { DescMessage } from "@bufbuild/protobuf";
import { MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { NotificationSchema } from "../../gen/notifications/v1/notification_pb.js";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { PostbackDeliverySchema } from "../../gen/postbacks/v1/postback_delivery_pb.js";
import { TransactionEventSchema, TransactionTimedOutSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { DAY_MS, type TopicSpec } from "./topic-spec.js";

/** Topics that carry typed records. Each has a dead-letter topic `<name>.dlq`. */
const dataTopics = [
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
] as const satisfies readonly Omit<TopicSpec, "deadLetter">[];

/** A topic that carries typed records: a misspelled name is a compile error. */
export type DataTopicName = (typeof dataTopics)[number]["name"];
/** The dead-letter topic of a data topic. */
export type DeadLetterTopicName = `${DataTopicName}.dlq`;
/** Every topic of the catalog. */
export type TopicName = DataTopicName | DeadLetterTopicName;

/** A catalog topic: a TopicSpec whose names are catalog names. */
export interface CatalogTopic extends TopicSpec {
  readonly name: TopicName;
  readonly deadLetter: DeadLetterTopicName | null;
}

/** A data topic of the catalog: typed records, always with a dead-letter topic. */
export interface DataTopic extends CatalogTopic {
  readonly name: DataTopicName;
  readonly message: DescMessage;
  readonly deadLetter: DeadLetterTopicName;
}

/** Name of the dead-letter topic of `topic`. */
export function deadLetterOf<T extends DataTopicName>(topic: T): `${T}.dlq` {
  return `${topic}.dlq`;
}

function deadLetterSpec(topic: (typeof dataTopics)[number]): CatalogTopic {
  return {
    name: deadLetterOf(topic.name),
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
export const topicCatalog: readonly CatalogTopic[] = dataTopics.flatMap((topic): CatalogTopic[] => [
  { ...topic, deadLetter: deadLetterOf(topic.name) },
  deadLetterSpec(topic),
]);

/** Every catalog topic name, in catalog order. */
export const topicNames: readonly TopicName[] = topicCatalog.map((t) => t.name);

/** Whether a name read at run time (CLI argument, generic code) is a catalog topic. */
export function isTopicName(name: string): name is TopicName {
  return (topicNames as readonly string[]).includes(name);
}

export function topicSpec(name: DataTopicName): DataTopic;
export function topicSpec(name: TopicName): CatalogTopic;
export function topicSpec(name: TopicName): CatalogTopic {
  const spec = topicCatalog.find((t) => t.name === name);
  if (spec === undefined) throw new Error(`topic "${name}" is not in the catalog`);
  return spec;
}

/** topicSpec for a name only known at run time; the error names the catalog's topics. */
export function lookupTopic(name: string): CatalogTopic {
  if (!isTopicName(name)) throw new Error(`topic "${name}" is not in the catalog (${topicNames.join(", ")})`);
  return topicSpec(name);
}
