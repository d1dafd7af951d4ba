import { describe, expect, it } from "vitest";
import type { PartitionChunk } from "../../runtime/processor/offset-safe-store.js";
import { InMemoryKeyValue } from "../../runtime/processor/testing/in-memory-store.js";
import { type PingIncrements, pingCounterOps } from "./ping-counter-projection.js";
import { pingSeenKey } from "./ping-dedup.js";

const KEY = "ping:counters";
const dedup = { namespace: "", windowMs: 86_400_000 };
const MINUTE = 28_815_000;

function chunk(batch: PingIncrements): PartitionChunk<PingIncrements> {
  return { topic: "pings", partition: 0, expectedNext: null, nextOffset: 1, batch, records: 1 };
}

describe("keyed ping deduplication", () => {
  it("counts a keyed id once across batches, keyless pings every time", () => {
    const kv = new InMemoryKeyValue();
    const apply = (batch: PingIncrements) => kv.apply(pingCounterOps(KEY, [chunk(batch)], dedup));
    apply({ minutes: new Map([[MINUTE, 3]]), keyed: [{ id: "a", minute: MINUTE }] });
    // A retry (same id) in the next batch, twice in one batch, and a new keyed id.
    apply({
      minutes: new Map([[MINUTE, 1]]),
      keyed: [
        { id: "a", minute: MINUTE },
        { id: "b", minute: MINUTE + 1 },
        { id: "b", minute: MINUTE + 1 },
      ],
    });
    expect(Object.fromEntries(kv.hashes.get(KEY) ?? [])).toEqual({
      total: "6",
      [`minute:${MINUTE}`]: "5",
      [`minute:${MINUTE + 1}`]: "1",
    });
  });

  it("keeps seen ids in a few event-hour hashes, not one key per record", () => {
    const ops = pingCounterOps(
      KEY,
      [
        chunk({
          minutes: new Map(),
          keyed: Array.from({ length: 500 }, (_, i) => ({ id: `k${i}`, minute: MINUTE + (i % 90) })),
        }),
      ],
      dedup,
    );
    const seenKeys = new Set(ops.flatMap((op) => (op.op === "hincrby_once" ? [op.key] : [])));
    expect([...seenKeys].sort()).toEqual([
      pingSeenKey("", Math.floor(MINUTE / 60)),
      pingSeenKey("", Math.floor(MINUTE / 60) + 1),
    ]);
  });

  it("leaves the keyless hot path as plain increments", () => {
    const ops = pingCounterOps(KEY, [chunk({ minutes: new Map([[MINUTE, 10]]), keyed: [] })], dedup);
    expect(ops.map((op) => op.op)).toEqual(["hincrby", "hincrby"]);
  });
});
