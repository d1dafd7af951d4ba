import { MessageService } from "../../gen/messages/v1/message_service_pb.js";
import { NotificationService } from "../../gen/notifications/v1/notification_service_pb.js";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { PostbackService } from "../../gen/postbacks/v1/postback_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { SeededRandom, seededSentence } from "./seeded-random.js";
import type { Caller, CallOutcome, Protocol } from "./transports.js";

export type TargetName = "event" | "ping" | "postback" | "txn" | "messages";
export const TARGETS: readonly TargetName[] = ["event", "ping", "postback", "txn", "messages"];

/** Protocol used when --protocol is not given: what the seed's clients used. */
export const DEFAULT_PROTOCOL: Record<TargetName, Protocol> = {
  event: "http",
  ping: "connect",
  postback: "http",
  txn: "connect",
  messages: "connect",
};

export interface TargetSettings {
  readonly seed: number;
  /** URL template of the postback deliveries. */
  readonly postbackUrl: string;
  /** CloudEvents per PutBatch. */
  readonly messagesPerBatch: number;
  /** Callback of txn Starts (never called: every Start is stopped at once). */
  readonly callbackUrl: string;
}

/**
 * `.invalid` never resolves (RFC 2606) and passes the gateway's outbound checks (loopback and
 * private addresses are refused at the door): a Start is stopped at once so its callback never
 * fires; postback deliveries to it fail and end in postbacks.dlq. Point --postback-url at a
 * receiver of yours (allow-listed in the delivery processor) to load the delivery side.
 */
export const DEFAULT_TARGET_SETTINGS: Omit<TargetSettings, "seed"> = {
  postbackUrl: "https://simulator.invalid/postback?id={id}&value={value}",
  messagesPerBatch: 10,
  callbackUrl: "https://simulator.invalid/callback",
};

/** One operation of a target, by index: payloads come from the seeded generator, in index order. */
export type Operation = (i: number) => Promise<CallOutcome>;

/** The operation a target performs against a front door, with seeded payloads. */
export function targetOperation(name: TargetName, caller: Caller, settings: TargetSettings): Operation {
  const random = new SeededRandom(settings.seed);
  const runId = random.hex(8);
  const http = caller.options.protocol === "http";
  switch (name) {
    case "event":
      return (i) => {
        const id = random.int(1, 2 ** 31 - 1);
        const description = `${seededSentence(random)} #${i}`;
        if (http) return caller.postJson("/event", JSON.stringify({ id, description }));
        return caller.unary(NotificationService.method.publish, { id: BigInt(id), description });
      };
    case "ping":
      return () => caller.unary(PingService.method.ping, { timestampMs: BigInt(Date.now()) });
    case "txn":
      return async (i) => {
        const transactionId = `sim-${runId}-${i}`;
        const started = await caller.unary(TransactionService.method.start, {
          clientId: `simulator-${runId}`,
          transactionType: "simulated",
          transactionId,
          callbackTarget: settings.callbackUrl,
          payload: { case: "payloadJson", value: JSON.stringify({ n: random.int(0, 1_000_000) }) },
          timeoutSeconds: 3_600,
        });
        if (!started.ok) return started;
        return caller.unary(TransactionService.method.stop, { transactionId });
      };
    case "postback":
      return (i) => {
        const data = [{ id: `${runId}-${i}`, value: seededSentence(random, 2) }];
        const endpoint = { method: "GET", url: settings.postbackUrl };
        if (http) return caller.postJson("/postback", JSON.stringify({ endpoint, data }));
        return caller.unary(PostbackService.method.submit, { endpoint, data });
      };
    case "messages":
      return (i) =>
        caller.unary(MessageService.method.putBatch, {
          msgs: Array.from({ length: settings.messagesPerBatch }, (_, j) => ({
            id: `sim-${runId}-${i}-${j}`,
            source: "tributary-simulate",
            specVersion: "1.0",
            type: "com.tributary.simulated",
            attributes: { subject: { attr: { case: "ceString" as const, value: seededSentence(random, 1) } } },
            data: { case: "textData" as const, value: seededSentence(random, 5) },
          })),
        });
  }
}
