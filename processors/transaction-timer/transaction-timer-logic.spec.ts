import { create } from "@bufbuild/protobuf";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  type TransactionEvent,
  TransactionEventSchema,
  type TransactionTimedOut,
} from "../../gen/transactions/v1/transaction_event_pb.js";
import { createLogger } from "../../runtime/observability/logger.js";
import { PartitionTimers } from "../../runtime/processor/partition-timers.js";
import type { TimerTable } from "../../runtime/processor/timer-logic.js";
import type { DecodedRecord } from "../../runtime/serde/topic-codec.js";
import { type PendingTransaction, transactionTimerKeys } from "./transaction-timer-keys.js";
import { transactionTimerLogic } from "./transaction-timer-logic.js";

const defaultLogic = transactionTimerLogic({
  keys: transactionTimerKeys("t:"),
  maxEventSkewMs: 60_000,
  log: createLogger("test", "silent"),
});

/** Applies events in order with a fixed lateness, firing like the runner does; returns fired keys. */
function run(
  events: TransactionEvent[],
  latenessMs = 0,
  logic = defaultLogic,
): { fired: TransactionTimedOut[]; pending: string[] } {
  const timers = PartitionTimers.loaded<PendingTransaction>(
    { encode: logic.encodeValue, decode: logic.decodeValue, deadlineOf: logic.deadlineOf },
    [],
  );
  const fired: TransactionTimedOut[] = [];
  let maxEvent = Number.NEGATIVE_INFINITY;
  events.forEach((message, offset) => {
    const key = message.event.value?.transactionId ?? "";
    const decoded = {
      record: {
        topic: "t",
        partition: 0,
        offset,
        key,
        value: null,
        headers: {},
        timestampMs: Number(message.eventTimeMs),
      },
      message,
      messageType: "transactions.v1.TransactionEvent",
      schemaId: 1,
    } as DecodedRecord<TransactionEvent>;
    const t = logic.eventTimeOf(decoded);
    const table: TimerTable<PendingTransaction> = {
      get: (k) => timers.get(k),
      set: (k, value, deadlineMs) => timers.set({ key: k, value, deadlineMs }),
      cancel: (k) => void timers.remove(k),
      fire: (k) => {
        const e = timers.take(k);
        if (e) fired.push(logic.onFire(e, t).message as TransactionTimedOut);
      },
    };
    logic.apply(decoded, t, table);
    maxEvent = Math.max(maxEvent, t);
    for (let e = timers.popDue(maxEvent - latenessMs); e; e = timers.popDue(maxEvent - latenessMs)) {
      fired.push(logic.onFire(e, maxEvent - latenessMs).message as TransactionTimedOut);
    }
  });
  const pending: string[] = [];
  for (let e = timers.popDue(Number.POSITIVE_INFINITY); e; e = timers.popDue(Number.POSITIVE_INFINITY))
    pending.push(e.key);
  return { fired, pending };
}

const start = (id: string, t: number, timeoutSeconds = 10, payload = "{}") =>
  create(TransactionEventSchema, {
    eventTimeMs: BigInt(t),
    event: {
      case: "started",
      value: {
        clientId: "c",
        transactionId: id,
        callbackTarget: "http://h/cb",
        timeoutSeconds,
        payload: { case: "payloadJson", value: payload },
      },
    },
  });
const stop = (id: string, t: number) =>
  create(TransactionEventSchema, { eventTimeMs: BigInt(t), event: { case: "stopped", value: { transactionId: id } } });
const T = 1_800_000_000_000;

describe("transaction timer logic (event time)", () => {
  it("fires a Start without Stop once the watermark passes its deadline, with a stable key", () => {
    const { fired } = run([start("a", T), start("b", T + 9_999), start("c", T + 10_000)]);
    expect(fired.map((f) => f.idempotencyKey)).toEqual([`a:${T}`]);
    expect(fired[0]?.deadlineMs).toBe(BigInt(T + 10_000));
  });

  it("cancels on a Stop before the deadline, even one applied after the deadline passed in processing time", () => {
    // The whole sequence is applied "late" (a backlog): only event times matter.
    const { fired, pending } = run([start("a", T), stop("a", T + 9_000), start("z", T + 30_000)]);
    expect(fired.map((f) => f.started?.transactionId)).toEqual([]);
    expect(pending).toEqual(["z"]);
  });

  it("fires on a Stop at or after the deadline (the timeout happened first)", () => {
    const { fired } = run([start("a", T), stop("a", T + 10_000)], 5_000);
    expect(fired.map((f) => f.idempotencyKey)).toEqual([`a:${T}`]);
  });

  it("ignores a duplicate Start; a Start after the pending deadline begins a new instance", () => {
    const { fired, pending } = run(
      [start("a", T, 10, '{"n":1}'), start("a", T + 1_000, 10, '{"n":2}'), start("a", T + 10_000, 10, '{"n":3}')],
      60_000,
    );
    expect(fired.map((f) => [f.idempotencyKey, f.started?.payload.value])).toEqual([[`a:${T}`, '{"n":1}']]);
    expect(pending).toEqual(["a"]);
  });

  it("records a Stop for nothing pending without failing", () => {
    expect(run([stop("ghost", T), start("a", T), stop("a", T + 1), stop("a", T + 2)]).fired).toEqual([]);
  });

  it("waits for the allowed lateness before firing", () => {
    expect(run([start("a", T), start("b", T + 10_400)], 500).fired).toEqual([]);
    expect(run([start("a", T), start("b", T + 10_500)], 500).fired).toHaveLength(1);
  });

  it("rejects records that would break the rules, naming the field", () => {
    expect(() => run([start("a", 0)])).toThrow(/event_time_ms/);
    expect(() => run([start("a", T, 0)])).toThrow(/timeout_seconds/);
    expect(() => run([create(TransactionEventSchema, { eventTimeMs: BigInt(T) })])).toThrow(/event/);
  });

  it("counts every Start and Stop by its pairing outcome (a superseding Start also as started)", async () => {
    const metrics = new Registry();
    const counted = transactionTimerLogic({
      keys: transactionTimerKeys("t:"),
      maxEventSkewMs: 60_000,
      log: createLogger("test", "silent"),
      metrics,
    });
    run(
      [
        start("a", T),
        start("a", T + 1_000),
        start("a", T + 10_000),
        stop("a", T + 11_000),
        start("b", T + 12_000),
        stop("b", T + 30_000),
        stop("ghost", T + 30_000),
      ],
      60_000,
      counted,
    );
    const values = (await metrics.getSingleMetric("tributary_transaction_events_total")?.get())?.values ?? [];
    expect(Object.fromEntries(values.map((v) => [v.labels.outcome, v.value]))).toEqual({
      started: 3,
      duplicate_start: 1,
      superseded: 1,
      cancelled: 1,
      stopped_after_deadline: 1,
      stop_not_pending: 1,
    });
  });
});
