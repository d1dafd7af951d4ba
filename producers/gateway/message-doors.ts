import type { ConnectRouter } from "@connectrpc/connect";
import type { Pool } from "pg";
import type { RecordProducer } from "../../runtime/kafka/kafka-adapter.js";
import type { Platform } from "../../runtime/platform.js";
import { MessagesReader } from "../../sinks/messages/index.js";
import type { IdempotentWrites } from "./idempotent-writes.js";
import { readMessageServiceConfig } from "./message-config.js";
import { messageServiceImpl, registerMessageServices } from "./message-service.js";
import { ProjectionOffsetsWaiter } from "./projection-offsets-waiter.js";

/**
 * Everything the gateway needs for the messages store, from its shared producer and pool:
 * `register` adds messages.v1.MessageService, awakari.messages.Service and
 * awakari.messages.cleaner.Service to the Connect router.
 */
export function messageDoors(platform: Platform, producer: RecordProducer, pool: Pool, idempotent: IdempotentWrites) {
  const config = readMessageServiceConfig(platform.env);
  const messagesTopic = platform.topic("messages");
  const reader = new MessagesReader(pool);
  const waiter = new ProjectionOffsetsWaiter(() => reader.storedOffsets(config.sinkConsumer, messagesTopic));
  const impl = messageServiceImpl({
    kafka: platform.kafka,
    producer,
    codec: platform.codec,
    messagesTopic,
    reader,
    waiter,
    config,
    idempotent,
  });
  return { register: (router: ConnectRouter) => registerMessageServices(router, impl) };
}
