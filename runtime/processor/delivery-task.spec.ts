import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type PingRecorded, PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { createLogger } from "../observability/logger.js";
import { DLQ_HEADERS } from "./dead-letter.js";
import type {
  AttemptOutcome,
  DeliveryAttemptRecord,
  DeliveryChanges,
  DeliveryHandler,
  DeliveryLedger,
  DeliveryProgress,
} from "./delivery.js";
import { deliveryTask } from "./delivery-task.js";
import type { RetrySchedule } from "./retry-schedule.js";
import { InMemoryLog } from "./testing/in-memory-log.js";
import { InMemoryOffsetStore } from "./testing/in-memory-store.js";
import { settle, TaskDriver } from "./testing/task-driver.js";

const TOPIC = "postbacks";
const OK: AttemptOutcome = { delivered: true, status: "200" };
const FAIL: AttemptOutcome = { delivered: false, retryable: true, status: "503", error: "unavailable" };
const REJECT: AttemptOutcome = { delivered: false, retryable: false, status: "404", error: "not found" };

/** Outcomes per key, in order (the last repeats); "hang" keeps the attempt open until released. */
class ScriptedTarget implements DeliveryHandler<PingRecorded> {
  readonly name = "spec-delivery";
  readonly topic = TOPIC as typeof TOPIC;
  readonly message = PingRecordedSchema;
  readonly calls: { key: string; attempt: number; atMs: number }[] = [];
  readonly #script = new Map<string, (AttemptOutcome | "hang")[]>();
  readonly #hanging: (() => void)[] = [];

  constructor(readonly now: () => number) {}

  script(key: string, ...outcomes: (AttemptOutcome | "hang")[]): void {
    this.#script.set(key, outcomes);
  }

  release(): void {
    for (const r of this.#hanging.splice(0)) r();
  }

  keyOf(record: { message: PingRecorded }): string {
    return record.message.id;
  }

  async attempt(_record: unknown, key: string, attempt: number): Promise<AttemptOutcome> {
    this.calls.push({ key, attempt, atMs: this.now() });
    const script = this.#script.get(key) ?? [OK];
    const outcome = script[Math.min(attempt - 1, script.length - 1)] ?? OK;
    if (outcome !== "hang") return outcome;
    await new Promise<void>((resolve) => this.#hanging.push(resolve));
    return OK;
  }
}

/** The ledger's tables in memory: outcomes, the attempt log, and retry progress read back. */
class MemoryLedger implements DeliveryLedger<PingRecorded> {
  readonly outcomes = new Map<string, string>();
  readonly attemptLog: DeliveryAttemptRecord[] = [];
  repeatedAttempts = 0;
  readonly store = new InMemoryOffsetStore<DeliveryChanges<PingRecorded>>((chunks) => {
    for (const c of chunks) {
      for (const d of c.batch.started) if (!this.outcomes.has(d.key)) this.outcomes.set(d.key, "delivering");
      for (const a of c.batch.attempts) {
        // Primary key (key, attempt), ON CONFLICT DO NOTHING: counted so specs can see repeats.
        if (this.attemptLog.some((x) => x.key === a.key && x.attempt === a.attempt)) this.repeatedAttempts += 1;
        else this.attemptLog.push(a);
      }
      for (const d of c.batch.finished) this.outcomes.set(d.key, d.status);
    }
  });

  async finished(keys: readonly string[]): Promise<Set<string>> {
    return new Set(keys.filter((k) => ["delivered", "failed"].includes(this.outcomes.get(k) ?? "")));
  }

  async progress(keys: readonly string[]): Promise<Map<string, DeliveryProgress>> {
    const result = new Map<string, DeliveryProgress>();
    for (const a of this.attemptLog) {
      if (!keys.includes(a.key) || a.nextAttemptAtMs === null) continue;
      const seen = result.get(a.key);
      if (seen === undefined || seen.attempts < a.attempt) {
        result.set(a.key, { attempts: a.attempt, nextAttemptAtMs: a.nextAttemptAtMs });
      }
    }
    return result;
  }
}

const schedule: RetrySchedule = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 10_000 };

function setup(options: { maxInFlightPerPartition?: number; withProgress?: boolean } = {}) {
  const log = new InMemoryLog();
  log.createTopic(TOPIC, 2);
  const ledger = new MemoryLedger();
  const usedLedger: DeliveryLedger<PingRecorded> =
    options.withProgress === false ? { finished: (k) => ledger.finished(k), store: ledger.store } : ledger;
  const controller = new AbortController();
  let target: ScriptedTarget | undefined;
  const driver = new TaskDriver({
    log,
    topic: TOPIC,
    makeTask: () =>
      deliveryTask({
        handler: target as ScriptedTarget,
        ledger: usedLedger,
        physicalTopic: TOPIC,
        schedule,
        maxConcurrent: 8,
        maxInFlightPerPartition: options.maxInFlightPerPartition ?? 100,
        stopGraceMs: 100,
        signal: controller.signal,
        log: createLogger("spec", "silent"),
        random: () => 1,
      }),
    flushEveryRecords: Number.MAX_SAFE_INTEGER,
    flushIntervalMs: 100,
    tickIntervalMs: 100,
  });
  target = new ScriptedTarget(() => driver.clock.now());
  const record = (p: number, key: string) =>
    driver.append(p, key, Buffer.from(toBinary(PingRecordedSchema, create(PingRecordedSchema, { id: key }))));
  return { log, ledger, driver, target, record };
}

describe("delivery strategy on the partition-task core", () => {
  it("retries on the backoff schedule of the manual clock and logs every attempt with the offsets", async () => {
    const { driver, target, ledger, record } = setup();
    target.script("a", FAIL, FAIL, OK);
    const inst = driver.start();
    await driver.assign(inst, [0]);
    const t0 = driver.clock.now();
    record(0, "a");
    await driver.drain(inst);
    await settle();
    expect(target.calls.map((c) => c.attempt)).toEqual([1]);
    await driver.advance(inst, 900);
    expect(target.calls).toHaveLength(1);
    await driver.advance(inst, 100); // 1,000 ms after the first failure
    expect(target.calls.map((c) => c.atMs - t0)).toEqual([0, 1_000]);
    await driver.advance(inst, 2_000);
    expect(target.calls.map((c) => c.atMs - t0)).toEqual([0, 1_000, 3_000]);
    await driver.advance(inst, 200);
    expect(ledger.outcomes.get("a")).toBe("delivered");
    expect(
      ledger.attemptLog.map((a) => [a.attempt, a.result, a.nextAttemptAtMs === null ? null : a.nextAttemptAtMs - t0]),
    ).toEqual([
      [1, "retry", 1_000],
      [2, "retry", 3_000],
      [3, "delivered", null],
    ]);
    expect(await ledger.store.readNext(TOPIC, 0)).toBe(1);
  });

  it("holds the committed position at the oldest unfinished delivery; later ones are not blocked", async () => {
    const { driver, target, ledger, record } = setup();
    target.script("slow", FAIL);
    for (const k of ["a", "slow", "b", "c"]) record(0, k);
    const inst = driver.start();
    await driver.assign(inst, [0]);
    await driver.drain(inst);
    await driver.advance(inst, 500);
    expect(ledger.outcomes.get("b")).toBe("delivered");
    expect(ledger.outcomes.get("c")).toBe("delivered");
    expect(ledger.outcomes.get("slow")).toBe("delivering");
    expect(await ledger.store.readNext(TOPIC, 0)).toBe(1);
    await driver.advance(inst, 20_000); // 4 attempts, then the DLQ
    expect(ledger.outcomes.get("slow")).toBe("failed");
    expect(await ledger.store.readNext(TOPIC, 0)).toBe(4);
    const dead = driver.log.records(driver.deadLetterTopic);
    expect(dead.map((r) => r.key)).toEqual(["slow"]);
    expect(dead[0]?.headers[DLQ_HEADERS.reason]).toMatch(/gave up after 4 attempts: 503/);
  });

  it("sends a permanent failure to the DLQ at once", async () => {
    const { driver, target, ledger, record } = setup();
    target.script("gone", REJECT);
    record(1, "gone");
    const inst = driver.start();
    await driver.assign(inst, [1]);
    await driver.drain(inst);
    await driver.advance(inst, 200);
    expect(target.calls).toHaveLength(1);
    expect(ledger.outcomes.get("gone")).toBe("failed");
    expect(driver.log.records(driver.deadLetterTopic)[0]?.headers[DLQ_HEADERS.reason]).toMatch(
      /permanent failure: 404/,
    );
  });

  it("pauses a partition at the unfinished cap and resumes it at half", async () => {
    const { driver, target, record } = setup({ maxInFlightPerPartition: 4 });
    for (let i = 0; i < 6; i++) {
      target.script(`h${i}`, "hang");
      record(0, `h${i}`);
    }
    const inst = driver.start();
    await driver.assign(inst, [0]);
    await driver.poll(inst);
    await settle();
    expect(inst.consumer.paused.has(0)).toBe(true);
    target.release();
    await settle();
    await driver.advance(inst, 100);
    expect(inst.consumer.paused.has(0)).toBe(false);
  });

  it("continues a delivery's schedule after a crash instead of restarting it", async () => {
    const { driver, target, ledger, record } = setup();
    target.script("r", FAIL, FAIL, FAIL, OK);
    record(0, "r");
    const first = driver.start();
    await driver.assign(first, [0]);
    const t0 = driver.clock.now();
    await driver.drain(first);
    await driver.advance(first, 1_200); // attempts 1 and 2 made and committed, next due at t0 + 3,000
    expect(target.calls.map((c) => c.attempt)).toEqual([1, 2]);
    // kill -9, and a new instance takes over the partition.
    driver.kill(first);
    const second = driver.start();
    await driver.assign(second, [0]);
    await driver.drain(second);
    await settle();
    expect(target.calls).toHaveLength(2);
    await driver.advance(second, 3_000 - (driver.clock.now() - t0) - 100);
    expect(target.calls).toHaveLength(2);
    await driver.advance(second, 200);
    expect(target.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    await driver.advance(second, 5_000);
    expect(ledger.outcomes.get("r")).toBe("delivered");
    expect(ledger.attemptLog.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(ledger.repeatedAttempts).toBe(0);
  });

  it("without a ledger's progress, a taken-over delivery starts over (same key, nothing skipped)", async () => {
    const { driver, target, ledger, record } = setup({ withProgress: false });
    target.script("s", FAIL, OK);
    record(0, "s");
    const first = driver.start();
    await driver.assign(first, [0]);
    await driver.drain(first);
    await driver.advance(first, 200);
    driver.kill(first);
    const second = driver.start();
    await driver.assign(second, [0]);
    await driver.drain(second);
    await driver.advance(second, 200);
    expect(target.calls.map((c) => c.attempt)).toEqual([1, 1]);
    await driver.advance(second, 1_500);
    expect(ledger.outcomes.get("s")).toBe("delivered");
    expect(ledger.repeatedAttempts).toBe(1);
  });

  it("skips a re-emitted key whose delivery already finished", async () => {
    const { driver, target, ledger, record } = setup();
    record(0, "dup");
    const inst = driver.start();
    await driver.assign(inst, [0]);
    await driver.drain(inst);
    await driver.advance(inst, 200);
    record(0, "dup");
    await driver.drain(inst);
    await driver.advance(inst, 200);
    expect(target.calls).toHaveLength(1);
    expect(ledger.outcomes.get("dup")).toBe("delivered");
    expect(await ledger.store.readNext(TOPIC, 0)).toBe(2);
  });

  it("on shutdown lets running attempts finish within the grace period, then commits them", async () => {
    const { driver, target, ledger, record } = setup();
    target.script("late", "hang");
    record(0, "late");
    record(0, "quick");
    const inst = driver.start();
    await driver.assign(inst, [0]);
    await driver.drain(inst);
    await settle();
    const stopping = inst.runner.stop();
    target.release();
    await stopping;
    expect(ledger.outcomes.get("late")).toBe("delivered");
    expect(ledger.outcomes.get("quick")).toBe("delivered");
    expect(await ledger.store.readNext(TOPIC, 0)).toBe(2);
    expect(ledger.attemptLog.map((a) => a.key).sort()).toEqual(["late", "quick"]);
  });

  it("a refused commit (another owner moved on) drops the partition's deliveries and reloads", async () => {
    const { driver, target, ledger, record } = setup();
    target.script("x", FAIL);
    record(0, "x");
    const zombie = driver.start();
    await driver.assign(zombie, [0]);
    await driver.drain(zombie);
    await driver.advance(zombie, 200);
    // Another owner finishes x (here: by hand) and moves the stored position past it.
    await ledger.store.commit([
      {
        topic: TOPIC,
        partition: 0,
        expectedNext: 0,
        nextOffset: 1,
        batch: { started: [], attempts: [], finished: [] },
        records: 1,
      },
    ]);
    await driver.advance(zombie, 2_000); // its retry attempt is logged, then refused with the offsets
    expect(zombie.consumer.seeks.at(-1)).toEqual({ partition: 0, offset: 1 });
    const callsAfterReload = target.calls.length;
    await driver.advance(zombie, 20_000);
    expect(target.calls.length).toBe(callsAfterReload);
    expect(ledger.attemptLog.map((a) => a.attempt)).toEqual([1]);
  });
});
