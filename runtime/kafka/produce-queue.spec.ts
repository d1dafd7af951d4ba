import { describe, expect, it } from "vitest";
import type { OutgoingRecord, RecordPosition } from "./kafka-adapter.js";
import { ProduceQueue, type QueuedRecord } from "./produce-queue.js";

const record = (key: string): OutgoingRecord => ({ key, value: Buffer.from(key), headers: {} });

/** A write function that records each request and can be held open or made to fail. */
function fakeBroker() {
  const requests: string[][] = [];
  let offset = 0;
  let hold: Promise<void> | undefined;
  let release = () => undefined as void;
  let failNext = false;
  const write = async (records: readonly QueuedRecord[]): Promise<RecordPosition[]> => {
    requests.push(records.map((r) => r.record.key));
    if (hold !== undefined) await hold;
    if (failNext) {
      failNext = false;
      throw new Error("broker says no");
    }
    return records.map((r) => ({ topic: r.topic, partition: 0, offset: offset++ }));
  };
  return {
    requests,
    write,
    holdNext() {
      hold = new Promise<void>((r) => {
        release = () => {
          hold = undefined;
          r();
        };
      });
    },
    release: () => release(),
    failNext() {
      failNext = true;
    },
  };
}

function queue(broker: ReturnType<typeof fakeBroker>, maxRecordsPerRequest = 100) {
  return new ProduceQueue({ write: broker.write, translate: (e) => e, maxRecordsPerRequest });
}

describe("ProduceQueue", () => {
  it("coalesces sends that arrive within the linger into one request, each with its own offset", async () => {
    const broker = fakeBroker();
    const q = queue(broker);
    const answers = await Promise.all(["a", "b", "c"].map((k) => q.enqueue("t", [record(k)], { lingerMs: 20 })));
    expect(broker.requests).toEqual([["a", "b", "c"]]);
    expect(answers.map((a) => a[0]?.offset)).toEqual([0, 1, 2]);
  });

  it("without a linger sends at once, and sends arriving during the request share the next one", async () => {
    const broker = fakeBroker();
    const q = queue(broker);
    broker.holdNext();
    const first = q.enqueue("t", [record("a")]);
    const later = [q.enqueue("t", [record("b")]), q.enqueue("t", [record("c")])];
    expect(broker.requests).toEqual([["a"]]);
    broker.release();
    await Promise.all([first, ...later]);
    expect(broker.requests).toEqual([["a"], ["b", "c"]]);
  });

  it("splits a large send over requests and answers it after the last part, in order", async () => {
    const broker = fakeBroker();
    const q = queue(broker, 2);
    const positions = await q.enqueue("t", ["a", "b", "c", "d", "e"].map(record));
    expect(broker.requests).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(positions.map((p) => p.offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it("leaves out a caller whose signal aborted before its request, rejecting it deadline_exceeded", async () => {
    const broker = fakeBroker();
    const q = queue(broker);
    broker.holdNext();
    const first = q.enqueue("t", [record("a")]);
    const abort = new AbortController();
    const cancelled = q.enqueue("t", [record("gone")], { signal: abort.signal });
    const kept = q.enqueue("t", [record("kept")]);
    abort.abort();
    await expect(cancelled).rejects.toMatchObject({ code: "deadline_exceeded" });
    broker.release();
    await Promise.all([first, kept]);
    expect(broker.requests).toEqual([["a"], ["kept"]]);
  });

  it("rejects every send of a failed request and goes on with the next", async () => {
    const broker = fakeBroker();
    const q = queue(broker);
    broker.holdNext();
    broker.failNext();
    const failed = q.enqueue("t", [record("a"), record("b")]);
    const next = q.enqueue("t", [record("c")]);
    broker.release();
    await expect(failed).rejects.toThrow("broker says no");
    expect((await next)[0]?.offset).toBe(0);
  });

  it("times out a send that is not acknowledged in time", async () => {
    const broker = fakeBroker();
    const q = queue(broker);
    broker.holdNext();
    const slow = q.enqueue("t", [record("a")], { timeoutMs: 20 });
    await expect(slow).rejects.toMatchObject({ code: "unavailable" });
    broker.release();
    await q.drained();
  });
});
