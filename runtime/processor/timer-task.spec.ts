import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type PingRecorded, PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { createLogger } from "../observability/logger.js";
import { InMemoryLog } from "./testing/in-memory-log.js";
import { InMemoryTimerStore } from "./testing/in-memory-timer-store.js";
import { ProtobufCodec } from "./testing/protobuf-codec.js";
import { TaskDriver } from "./testing/task-driver.js";
import type { TimerKeys, TimerLogic } from "./timer-logic.js";
import type { TimerRebuild } from "./timer-rebuild.js";
import { timerTask } from "./timer-task.js";

const TOPIC = "transactions";
const OUTPUT = "transactions.timeouts";
const LATENESS_MS = 100;
const T0 = 1_700_000_000_000;

/** Test logic on PingRecorded: id "start:<key>:<timeout ms>" sets a timer, "stop:<key>" cancels it. */
const logic: TimerLogic<PingRecorded, string> = {
  name: "test-timer",
  topic: TOPIC,
  message: PingRecordedSchema,
  outputTopic: OUTPUT,
  outputMessage: PingRecordedSchema,
  eventTimeOf: (record) => Number(record.message.timestampMs),
  apply(record, eventTimeMs, timers) {
    const [kind, key, timeout] = record.message.id.split(":");
    if (key === undefined) throw new Error("no key");
    // The value carries its deadline (the store reads deadlines from values).
    if (kind === "start")
      timers.set(key, `${record.message.id}@${eventTimeMs + Number(timeout)}`, eventTimeMs + Number(timeout));
    else if (timers.get(key) !== undefined && eventTimeMs < (timers.get(key)?.deadlineMs ?? 0)) timers.cancel(key);
  },
  onFire: (entry, firedAtMs) => ({
    key: `${entry.key}:${entry.deadlineMs}`,
    message: create(PingRecordedSchema, { id: entry.key, timestampMs: BigInt(firedAtMs) }),
  }),
  encodeValue: (v) => v,
  decodeValue: (s) => s,
  deadlineOf: (s) => Number(s.split("@")[1]),
};

const keys: TimerKeys = {
  offsets: "offsets",
  timers: (p, key) => `timers:${p}:${key < "m" ? 0 : 1}`,
  timerBuckets: (p) => [`timers:${p}:0`, `timers:${p}:1`],
  legacyTimers: (p) => `timers:${p}`,
  legacyKeys: (p) => [`deadlines:${p}`],
  watermarks: "watermarks",
};

function event(id: string, atMs: number): Buffer {
  return Buffer.from(toBinary(PingRecordedSchema, create(PingRecordedSchema, { id, timestampMs: BigInt(atMs) })));
}

function setup(options: { maxBatchRecords?: number; rebuild?: TimerRebuild; logic?: typeof logic } = {}) {
  const log = new InMemoryLog();
  log.createTopic(TOPIC, 2);
  log.createTopic(OUTPUT, 1);
  const store = new InMemoryTimerStore(keys, TOPIC);
  const driver = new TaskDriver({
    log,
    topic: TOPIC,
    makeTask: () =>
      timerTask({
        logic: options.logic ?? logic,
        keys,
        store,
        codec: new ProtobufCodec(),
        producer: log,
        outputTopic: OUTPUT,
        allowedLatenessMs: LATENESS_MS,
        ...(options.rebuild === undefined ? {} : { rebuild: options.rebuild }),
        log: createLogger("spec", "silent"),
      }),
    flushEveryRecords: 1_000,
    flushIntervalMs: 200,
    tickIntervalMs: 50,
    maxBatchRecords: options.maxBatchRecords ?? 100,
  });
  driver.clock.advance(T0 - driver.clock.now());
  const fired = () => log.records(OUTPUT).map((r) => fromBinary(PingRecordedSchema, r.value ?? Buffer.alloc(0)).id);
  const firedKeys = () => log.records(OUTPUT).map((r) => r.key);
  return { log, store, driver, fired, firedKeys };
}

describe("timer strategy on the partition-task core", () => {
  it("moves timers of the earlier single-hash layout into the buckets in one commit, then fires them", async () => {
    const { driver, store, fired } = setup();
    store.kv.apply([
      { op: "hset", key: "timers:0", field: "m", value: `start:m:500@${T0 + 500}` },
      { op: "zadd", key: "deadlines:0", member: "m", score: T0 + 500 },
    ]);
    store.offsets.offsets.set(`${TOPIC}:0`, 0);
    const a = driver.start();
    await driver.assign(a, [0]);
    driver.append(0, "x", event("noise:x", T0));
    await driver.drain(a);
    await a.runner.flush();
    expect(Object.fromEntries(store.timers(0))).toEqual({ m: `start:m:500@${T0 + 500}` });
    expect(store.kv.hashes.get("timers:0")?.size ?? 0).toBe(0);
    expect(store.kv.sortedSets.get("deadlines:0")?.size ?? 0).toBe(0);
    expect(fired()).toEqual([]);
    driver.append(0, "y", event("noise:y", T0 + 700));
    await driver.drain(a);
    await a.runner.flush();
    expect(fired()).toEqual(["m"]);
    expect([...store.timers(0).keys()]).toEqual([]);
  });

  it("fires when the event-time watermark passes the deadline, not before", async () => {
    const { driver, fired } = setup();
    const a = driver.start();
    await driver.assign(a, [0]);
    driver.append(0, "a", event("start:a:500", T0));
    driver.append(0, "x", event("noise:x", T0 + 550)); // watermark T0 + 450 < deadline T0 + 500
    await driver.drain(a);
    expect(fired()).toEqual([]);
    driver.append(0, "y", event("noise:y", T0 + 600)); // watermark T0 + 500: due
    await driver.drain(a);
    expect(fired()).toEqual(["a"]);
  });

  it("never fires early under lag: a Stop waiting in the backlog is applied before time can pass", async () => {
    const { driver, fired } = setup({ maxBatchRecords: 1 });
    const a = driver.start();
    await driver.assign(a, [0]);
    driver.append(0, "a", event("start:a:1000", T0));
    driver.append(0, "a", event("stop:a", T0 + 900));
    await driver.poll(a); // only the Start applied: the consumer lags behind the Stop
    // Processing time races ahead (a stalled consumer): not caught up, so no idle advance.
    await driver.advance(a, 10_000);
    expect(fired()).toEqual([]);
    await driver.drain(a);
    await driver.advance(a, 10_000);
    expect(fired()).toEqual([]);
  });

  it("an idle, caught-up partition fires on processing time, exactly once across a restart", async () => {
    const { driver, fired } = setup();
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    driver.append(1, "b", event("start:b:1000", T0));
    await driver.drain(a);
    await driver.advance(a, 1_000);
    expect(fired()).toEqual([]); // processing watermark T0 + 900
    await driver.advance(a, 200);
    expect(fired()).toEqual(["b"]);
    await a.runner.stop();
    const b = driver.start();
    await driver.assign(b, [0, 1]);
    await driver.drain(b);
    await driver.advance(b, 5_000);
    expect(fired()).toEqual(["b"]);
  });

  it("re-emits with the same key when the commit after the emit fails (downstream deduplicates)", async () => {
    const { driver, store, firedKeys } = setup();
    const a = driver.start();
    await driver.assign(a, [0]);
    driver.append(0, "c", event("start:c:100", T0));
    driver.append(0, "z", event("noise:z", T0 + 1_000));
    store.offsets.failNextCommits = 1;
    await expect(driver.drain(a)).rejects.toThrow(/injected/);
    expect(firedKeys()).toEqual([`c:${T0 + 100}`]);
    // The mirror was rebuilt from the store: the timer is still pending there and fires again.
    await driver.drain(a);
    await driver.advance(a, 500);
    expect(firedKeys()).toEqual([`c:${T0 + 100}`, `c:${T0 + 100}`]);
    expect([...store.timers(0).keys()]).toEqual([]);
  });

  it("a zombie's fired timers and state never reach the store after the new owner committed", async () => {
    const { driver, store, fired } = setup();
    driver.append(0, "d", event("start:d:5000", T0));
    const zombie = driver.start();
    await driver.assign(zombie, [0]);
    await driver.drain(zombie);
    await zombie.runner.flush();
    const owner = driver.start();
    await driver.assign(owner, [0]);
    driver.append(0, "d", event("stop:d", T0 + 100));
    await driver.drain(owner);
    await owner.runner.flush();
    expect([...store.timers(0).keys()]).toEqual([]);
    // The zombie still believes it owns the partition and sees time pass.
    driver.append(0, "w", event("noise:w", T0 + 60_000));
    zombie.consumer.positions.set(0, 1);
    await driver.drain(zombie);
    await zombie.runner.flush();
    expect([...store.timers(0).keys()]).toEqual([]);
    expect(await store.readNext(TOPIC, 0)).toBe(2);
    // Refused, it reloaded from the store and re-seeked: it goes on from the owner's state.
    expect(zombie.consumer.seeks.at(-1)).toEqual({ partition: 0, offset: 2 });
    await driver.drain(zombie);
    await zombie.runner.flush();
    expect(await store.readNext(TOPIC, 0)).toBe(3);
    // Even the zombie applies the log in order: it read the Stop before time passed, so "d"
    // never fires, and the cancel stands in the store.
    expect(fired()).toEqual([]);
    await driver.advance(zombie, 1_000);
    expect(fired()).toEqual([]);
  });

  it("rebuilding lost state skips firings already emitted, until the watermark passes the rebuild", async () => {
    const plans: number[] = [];
    const rebuild: TimerRebuild = {
      plan: async (partition) => {
        plans.push(partition);
        return { startOffset: 0, fired: new Set(["a"]), forgetFiredAtMs: T0 + 5_000 };
      },
      initialOffset: async () => 0,
      invalidate: () => undefined,
    };
    const withIds = { ...logic, firedIdOf: (entry: { key: string }) => entry.key };
    const { driver, fired } = setup({ rebuild, logic: withIds });
    const a = driver.start();
    await driver.assign(a, [0]);
    expect(plans).toEqual([0]); // no stored offsets: planned
    driver.append(0, "a", event("start:a:100", T0));
    driver.append(0, "b", event("start:b:100", T0));
    driver.append(0, "z", event("noise:z", T0 + 1_000));
    await driver.drain(a);
    expect(fired()).toEqual(["b"]); // "a" was in the output topic already
    driver.append(0, "z", event("noise:z", T0 + 6_000)); // watermark past T0 + 5,000: set dropped
    driver.append(0, "a", event("start:a:100", T0 + 6_000));
    driver.append(0, "z", event("noise:z", T0 + 7_000));
    await driver.drain(a);
    expect(fired()).toEqual(["b", "a"]);
    await a.runner.stop();
    const b = driver.start();
    await driver.assign(b, [0]);
    expect(plans).toEqual([0]); // offsets stored now: no rebuild
  });
});
