import { create } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import { TransactionEventSchema, TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { transactionTimerKeys } from "../../processors/transaction-timer/index.js";
import type { OutgoingRecord } from "../../runtime/kafka/kafka-adapter.js";
import {
  CallbackReceiver,
  type CallbackResponder,
  type TransactionClient,
  transactionClient,
} from "../../testkit/index.js";
import { createDatabase, dropDatabase } from "./databases.js";
import { entryOf } from "./service-entries.js";
import { ServiceProcess } from "./service-process.js";
import { stackEnv, uniqueId } from "./stack-env.js";
import { TestPlatform } from "./test-platform.js";

/** The transactions flow's services by short name; entry points from services/registry.ts. */
export const ENTRY = {
  gateway: entryOf("gateway"),
  timer: entryOf("transaction-timer"),
  dispatcher: entryOf("callback-dispatcher"),
  sink: entryOf("transactions-sink"),
} as const;
export type ServiceName = keyof typeof ENTRY;

/**
 * The transactions flow on the local stack for one test file: its own topic prefix, Dragonfly
 * namespace, consumer groups and database, a callback receiver on 127.0.0.1, and the compiled
 * services spawned on demand. `close` removes all of it.
 */
export class TransactionsStack {
  readonly id: string;
  readonly prefix: string;
  readonly namespace: string;
  readonly platform: TestPlatform;
  readonly redis = new Redis(stackEnv.REDIS_URL);
  readonly services: Partial<Record<ServiceName, ServiceProcess>> = {};
  receiver!: CallbackReceiver;
  databaseUrl = "";
  env: Record<string, string> = {};

  constructor(label: string) {
    this.id = uniqueId(label);
    this.prefix = `${this.id}.`;
    this.namespace = `${this.id}:`;
    this.platform = new TestPlatform(this.prefix);
  }

  async setUp(extraEnv: Record<string, string> = {}, respond?: CallbackResponder): Promise<void> {
    await this.platform.createTopics();
    this.databaseUrl = await createDatabase(this.id);
    this.receiver = await CallbackReceiver.start(respond === undefined ? {} : { respond });
    this.env = {
      TOPIC_PREFIX: this.prefix,
      STATE_NAMESPACE: this.namespace,
      DATABASE_URL: this.databaseUrl,
      TRANSACTION_TIMER_GROUP_ID: `${this.id}-timer`,
      CALLBACK_DISPATCHER_GROUP_ID: `${this.id}-dispatcher`,
      TRANSACTIONS_SINK_GROUP_ID: `${this.id}-sink`,
      // The broker's minimum: a killed instance's partitions move on within ~6 s.
      TRANSACTION_TIMER_SESSION_TIMEOUT_MS: "6000",
      CALLBACK_DISPATCHER_SESSION_TIMEOUT_MS: "6000",
      // The callback receiver listens on 127.0.0.1: exactly that address is opened, nothing else.
      OUTBOUND_ALLOW_CIDRS: "127.0.0.1/32",
      LOG_LEVEL: "warn",
      ...extraEnv,
    };
  }

  async start(...names: ServiceName[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        this.services[name] = await ServiceProcess.start(ENTRY[name], this.env);
      }),
    );
  }

  service(name: ServiceName): ServiceProcess {
    const s = this.services[name];
    if (s === undefined) throw new Error(`${name} not started`);
    return s;
  }

  client(): TransactionClient {
    return transactionClient(`http://127.0.0.1:${this.service("gateway").port}`);
  }

  /** A Start record as a client producing straight to `transactions` would write it. */
  startRecord(s: {
    id: string;
    clientId?: string;
    timeoutSeconds: number;
    eventTimeMs: number;
    payload?: string;
    callback?: string;
  }): OutgoingRecord {
    const topic = this.platform.topic("transactions");
    const message = create(TransactionEventSchema, {
      eventTimeMs: BigInt(s.eventTimeMs),
      event: {
        case: "started",
        value: create(TransactionStartedSchema, {
          clientId: s.clientId ?? "test-client",
          transactionType: "test",
          transactionId: s.id,
          callbackTarget: s.callback ?? this.receiver.target(),
          payload: { case: "payloadJson", value: s.payload ?? `{"id":"${s.id}"}` },
          timeoutSeconds: s.timeoutSeconds,
        }),
      },
    });
    return this.platform.codec.encode(topic, TransactionEventSchema, message, s.id);
  }

  stopRecord(id: string, eventTimeMs: number): OutgoingRecord {
    const topic = this.platform.topic("transactions");
    const message = create(TransactionEventSchema, {
      eventTimeMs: BigInt(eventTimeMs),
      event: { case: "stopped", value: { transactionId: id } },
    });
    return this.platform.codec.encode(topic, TransactionEventSchema, message, id);
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    const producer = await this.platform.producer();
    const topic = this.platform.topic("transactions");
    for (let i = 0; i < records.length; i += 5_000) await producer.sendAll(topic, records.slice(i, i + 5_000));
  }

  /** Keys of the timer's state in this namespace (pending hashes, deadlines, client index). */
  async timerKeys(): Promise<string[]> {
    return (await this.redis.keys(`${this.namespace}txn:*`)).filter((k) => !k.endsWith("txn:watermarks"));
  }

  /** Timer state, offsets and end offsets, for failure messages. */
  async diagnose(): Promise<string> {
    const ends = async (name: string) =>
      (await this.platform.kafka.partitionOffsets(this.platform.topic(name)))
        .map((e) => `${e.partition}:${e.high}`)
        .join(" ");
    const state: Record<string, unknown> = {
      transactionsEnds: await ends("transactions"),
      timeoutsEnds: await ends("transactions.timeouts"),
      timerOffsets: await this.redis.hgetall(transactionTimerKeys(this.namespace).offsets),
      watermarks: await this.redis.hgetall(`${this.namespace}txn:watermarks`),
      timerKeys: await this.timerKeys(),
    };
    return JSON.stringify(state);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.services).map((s) => s?.stop()));
    await this.receiver?.close();
    await this.platform.close();
    const keys = await this.redis.keys(`${this.namespace}*`);
    if (keys.length > 0) await this.redis.del(...keys);
    this.redis.disconnect();
    if (this.databaseUrl !== "") await dropDatabase(this.id);
  }
}
