import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type PingRecorded, PingRecordedSchema } from "../../../gen/ping/v1/ping_recorded_pb.js";
import { DLQ_HEADERS } from "../dead-letter.js";
import type { Projection } from "../projection.js";
import { projectionTask } from "../projection-task.js";
import { InMemoryLog } from "../testing/in-memory-log.js";
import { InMemoryOffsetStore } from "../testing/in-memory-store.js";
import { TaskDriver } from "../testing/task-driver.js";
import { STORE_CHECK_INTERVAL_MS } from "./task-runner.js";

const TOPIC = "pings";

/** Counts pings per id prefix: enough state to see a double count or a loss. */
const counting: Projection<PingRecorded, Map<string, number>> = {
  name: "counting",
  topic: TOPIC,
  message: PingRecordedSchema,
  emptyBatch: () => new Map(),
  add(batch, record) {
    const key = record.message.id;
    batch.set(key, (batch.get(key) ?? 0) + 1);
  },
};

function ping(id: string): Buffer {
  return Buffer.from(toBinary(PingRecordedSchema, create(PingRecordedSchema, { id, timestampMs: 1n })));
}

function setup(
  options: {
    flushEveryRecords?: number;
    maxBatchRecords?: number;
    partitions?: number;
    flushIdleMs?: number;
    tickIntervalMs?: number;
  } = {},
) {
  const log = new InMemoryLog();
  log.createTopic(TOPIC, options.partitions ?? 2);
  const counts = new Map<string, number>();
  const store = new InMemoryOffsetStore<Map<string, number>>((chunks) => {
    for (const chunk of chunks) for (const [k, n] of chunk.batch) counts.set(k, (counts.get(k) ?? 0) + n);
  });
  const driver = new TaskDriver({
    log,
    topic: TOPIC,
    makeTask: () => projectionTask(counting, store, TOPIC),
    flushEveryRecords: options.flushEveryRecords ?? 10,
    flushIntervalMs: 1_000,
    tickIntervalMs: options.tickIntervalMs ?? 100,
    maxBatchRecords: options.maxBatchRecords ?? 7,
    ...(options.flushIdleMs === undefined ? {} : { flushIdleMs: options.flushIdleMs }),
  });
  const total = () => [...counts.values()].reduce((a, b) => a + b, 0);
  return { log, store, counts, driver, total };
}

describe("partition-task core (projection strategy)", () => {
  it("commits state with offsets; an instance killed mid-way is replaced without loss or double count", async () => {
    const { driver, store, total, counts } = setup();
    for (let i = 0; i < 120; i++) driver.append(i % 2, `k${i % 5}`, ping(`k${i % 5}`));
    const first = driver.start();
    await driver.assign(first, [0, 1]);
    for (let i = 0; i < 5; i++) await driver.poll(first);
    expect(total()).toBeGreaterThan(0);
    expect(total()).toBeLessThan(120);
    // kill -9: no stop, no flush. The group hints are whatever the dead instance last hinted.
    const second = driver.start();
    await driver.assign(second, [0, 1]);
    await driver.drain(second);
    await second.runner.stop();
    expect(total()).toBe(120);
    expect([...counts.values()]).toEqual([24, 24, 24, 24, 24]);
    expect(await store.readNext(TOPIC, 0)).toBe(60);
    expect(await store.readNext(TOPIC, 1)).toBe(60);
  });

  it("refuses a zombie's commit (compare-and-set): the zombie reloads and re-seeks to the stored offset", async () => {
    const { driver, total } = setup({ flushEveryRecords: 1_000 });
    for (let i = 0; i < 30; i++) driver.append(0, "k", ping("k"));
    const zombie = driver.start();
    await driver.assign(zombie, [0]);
    await driver.poll(zombie); // 7 applied, not committed
    const owner = driver.start();
    await driver.assign(owner, [0]);
    await driver.drain(owner);
    await owner.runner.flush();
    expect(total()).toBe(30);
    // The zombie never saw the rebalance: its commit must change nothing.
    await zombie.runner.flush();
    expect(total()).toBe(30);
    expect(zombie.consumer.seeks.at(-1)).toEqual({ partition: 0, offset: 30 });
    expect(zombie.runner.positions().get(0)).toBe(30);
  });

  it("seeks back once when the fetch position is ahead of the store, then accepts a real gap", async () => {
    const { driver, log, total } = setup({ flushEveryRecords: 1 });
    for (let i = 0; i < 10; i++) driver.append(0, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0]);
    await driver.poll(a);
    await a.runner.stop();
    expect(total()).toBe(7);
    // A group offset from another namespace says 9: the store says 7.
    driver.groupOffsets.set(0, 9);
    const b = driver.start();
    await driver.assign(b, [0]);
    await driver.poll(b);
    expect(b.consumer.seeks).toEqual([{ partition: 0, offset: 7 }]);
    await driver.drain(b);
    expect(total()).toBe(10);
    // Retention removed 10..19 before they were read: after one seek back the gap is accepted.
    for (let i = 0; i < 20; i++) driver.append(0, "k", ping("k"));
    log.deleteBefore(TOPIC, 0, 20);
    await driver.drain(b);
    expect(b.consumer.seeks).toEqual([
      { partition: 0, offset: 7 },
      { partition: 0, offset: 10 },
    ]);
    expect(total()).toBe(20);
  });

  it("sends a poison record to the DLQ with the reason and source in headers; processing continues", async () => {
    const { driver, log, total } = setup({ flushEveryRecords: 100 });
    driver.append(0, "a", ping("a"));
    driver.append(0, "bad", Buffer.from("not protobuf"), { "test.poison": "1" });
    driver.append(0, "b", ping("b"));
    const a = driver.start();
    await driver.assign(a, [0]);
    await driver.drain(a);
    await a.runner.stop();
    expect(total()).toBe(2);
    const dead = log.records(driver.deadLetterTopic);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.key).toBe("bad");
    expect(dead[0]?.headers[DLQ_HEADERS.reason]).toMatch(/not a ping\.v1\.PingRecorded/);
    expect(dead[0]?.headers[DLQ_HEADERS.sourceOffset]).toBe("1");
    expect(dead[0]?.headers[DLQ_HEADERS.processor]).toBe("counting");
  });

  it("keeps the changes of a commit the store refused to take (outage) and commits them later", async () => {
    const { driver, store, total } = setup({ flushEveryRecords: 5, maxBatchRecords: 5 });
    for (let i = 0; i < 10; i++) driver.append(0, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0]);
    store.failNextCommits = 1;
    await expect(driver.poll(a)).rejects.toThrow(/injected/);
    expect(total()).toBe(0);
    await driver.drain(a);
    await a.runner.stop();
    expect(total()).toBe(10);
    expect(await store.readNext(TOPIC, 0)).toBe(10);
  });

  it("after the store lost everything, a commit refused for one partition keeps the others' changes", async () => {
    // Redis restarted empty (no persistence): every partition rebuilds from the log. A commit
    // mixing a rebuilt partition (expects nothing stored: matches) with one not reloaded yet
    // (expects its old position: conflict) writes nothing; the rebuilt one must not take its
    // changes as written, or a partition with nothing more to read stays short for good.
    const { driver, store, counts, total } = setup({ flushEveryRecords: 1_000 });
    for (let i = 0; i < 10; i++) driver.append(i % 2, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    await driver.drain(a);
    await a.runner.flush();
    expect(total()).toBe(10);
    store.offsets.clear();
    counts.clear();
    // Partition 1 finds out first: its commit conflicts, it reloads (nothing stored) and re-reads.
    driver.append(1, "k", ping("k"));
    await driver.drain(a);
    await a.runner.flush();
    expect(a.consumer.seeks).toEqual([{ partition: 1, offset: 0 }]);
    await driver.drain(a);
    // Partition 0 gets one more record; one commit carries both: 0 conflicts, 1 does not.
    driver.append(0, "k", ping("k"));
    await driver.drain(a);
    await a.runner.flush();
    expect(a.consumer.seeks.at(-1)).toEqual({ partition: 0, offset: 0 });
    // Partition 1 gets nothing more: its 6 records are in the store all the same.
    await driver.drain(a);
    await a.runner.stop();
    expect(await store.readNext(TOPIC, 0)).toBe(6);
    expect(await store.readNext(TOPIC, 1)).toBe(6);
    expect(total()).toBe(12);
  });

  it("rebuilds an idle partition whose store lost everything, without waiting for a new record", async () => {
    // Redis kill -9 with no persistence, restarted empty, after all traffic ended: no partition
    // commits again, so no compare-and-set ever fails; the periodic store check must find out.
    const { driver, store, counts, total } = setup({ flushEveryRecords: 1_000 });
    for (let i = 0; i < 10; i++) driver.append(i % 2, `k${i % 3}`, ping(`k${i % 3}`));
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    await driver.drain(a);
    await a.runner.flush();
    expect(total()).toBe(10);
    const before = new Map(counts);
    // While the store holds what was committed, checks change nothing: one read per check.
    const reads = store.positionReads;
    await driver.advance(a, 2 * STORE_CHECK_INTERVAL_MS);
    expect(store.positionReads - reads).toBe(2);
    expect(a.consumer.seeks).toEqual([]);
    store.offsets.clear();
    counts.clear();
    await driver.advance(a, STORE_CHECK_INTERVAL_MS);
    expect([...a.consumer.seeks].sort((x, y) => x.partition - y.partition)).toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
    ]);
    await driver.drain(a);
    await driver.advance(a, 1_100);
    expect(total()).toBe(10);
    expect(counts).toEqual(before);
    expect(await store.readNext(TOPIC, 0)).toBe(5);
    expect(await store.readNext(TOPIC, 1)).toBe(5);
    // Rebuilt once: later checks find the store as committed again.
    await driver.advance(a, 2 * STORE_CHECK_INTERVAL_MS);
    expect(a.consumer.seeks).toHaveLength(2);
    await a.runner.stop();
    expect(total()).toBe(10);
  });

  it("reopens an idle partition another owner committed, and leaves one with uncommitted records to its commit", async () => {
    const { driver, store, total } = setup({ flushEveryRecords: 1_000 });
    for (let i = 0; i < 6; i++) driver.append(i % 2, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    await driver.drain(a);
    await a.runner.flush();
    // A second owner (a's rebalance not seen yet) commits both partitions further.
    driver.append(0, "k", ping("k"));
    driver.append(1, "k", ping("k"));
    const b = driver.start();
    await driver.assign(b, [0, 1]);
    await driver.drain(b);
    await b.runner.flush();
    expect(total()).toBe(8);
    // a reads partition 1's new record (uncommitted: left to the CAS), partition 0 is idle.
    await driver.poll(a);
    const reads = store.positionReads;
    a.consumer.seeks = [];
    await driver.advance(a, STORE_CHECK_INTERVAL_MS);
    expect(store.positionReads).toBe(reads + 1);
    expect(a.consumer.seeks.filter((s) => s.partition === 0)).toEqual([{ partition: 0, offset: 4 }]);
    expect(a.runner.positions().get(0)).toBe(4);
    // Partition 1's commit (the flush interval) conflicts and reloads as before; nothing doubles.
    expect(a.consumer.seeks.filter((s) => s.partition === 1)).toEqual([{ partition: 1, offset: 4 }]);
    expect(total()).toBe(8);
  });

  it("flushes on the interval when fewer records than flushEveryRecords arrived, and on shutdown", async () => {
    const { driver, store, total } = setup({ flushEveryRecords: 1_000 });
    driver.append(0, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    await driver.poll(a);
    await driver.advance(a, 800);
    expect(total()).toBe(0);
    await driver.advance(a, 300);
    expect(total()).toBe(1);
    driver.append(1, "k", ping("k"));
    await driver.poll(a);
    await a.runner.stop();
    expect(total()).toBe(2);
    expect(await store.readNext(TOPIC, 1)).toBe(1);
  });

  it("with flushIdleMs commits soon once caught up, but a partition behind waits for the usual rules", async () => {
    const { driver, total } = setup({ flushEveryRecords: 1_000, flushIdleMs: 50, tickIntervalMs: 25 });
    for (let i = 0; i < 3; i++) driver.append(0, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    await driver.poll(a);
    expect(total()).toBe(0); // caught up, but the last commit (start) is not 50 ms ago yet
    await driver.advance(a, 60);
    expect(total()).toBe(3);
    // A backlog: 20 records, 7 per fetch; after one fetch the partition is behind its end.
    for (let i = 0; i < 20; i++) driver.append(1, "k", ping("k"));
    await driver.poll(a);
    await driver.advance(a, 200);
    expect(total()).toBe(3);
    await driver.drain(a);
    await driver.advance(a, 60);
    expect(total()).toBe(23);
    await a.runner.stop();
  });

  it("after a rebalance resumes each partition from the store, whatever the group offsets say", async () => {
    const { driver, total } = setup({ flushEveryRecords: 3, maxBatchRecords: 3 });
    for (let i = 0; i < 12; i++) driver.append(i % 2, "k", ping("k"));
    const a = driver.start();
    await driver.assign(a, [0, 1]);
    await driver.poll(a); // 3 + 3 applied, committed at 3 each... then partition 1's batch
    const b = driver.start();
    await driver.assign(a, [0]);
    await driver.assign(b, [1]);
    driver.groupOffsets.set(1, 0); // a stale hint: b must seek to the store's position
    b.consumer.positions.set(1, 0);
    await driver.drain(a);
    await driver.drain(b);
    await a.runner.stop();
    await b.runner.stop();
    expect(total()).toBe(12);
  });
});
