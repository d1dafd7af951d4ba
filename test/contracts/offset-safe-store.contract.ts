import { describe, expect, it } from "vitest";
import type { OffsetSafeStore, PartitionChunk } from "../../runtime/processor/offset-safe-store.js";

/** What a contract run needs: a fresh, empty store whose state is a sum of applied amounts. */
export interface ContractSubject {
  readonly store: OffsetSafeStore<number>;
  /** Sum of the amounts the store has applied. */
  applied(): Promise<number>;
  close?(): Promise<void>;
}

function chunk(
  topic: string,
  partition: number,
  expectedNext: number | null,
  nextOffset: number,
  amount: number,
): PartitionChunk<number> {
  return { topic, partition, expectedNext, nextOffset, batch: amount, records: 1 };
}

/**
 * The semantics every offset-safe store must have, so the partition-task core can rely on them
 * and the in-memory store of the deterministic driver can stand in for the real ones.
 */
export function describeOffsetSafeStore(name: string, open: () => Promise<ContractSubject>): void {
  describe(`${name} honours the offset-safe store contract`, () => {
    it("knows no offset before the first commit, then exactly the committed one", async () => {
      const s = await open();
      try {
        expect(await s.store.readNext("t", 0)).toBeNull();
        expect(await s.store.commit([chunk("t", 0, null, 5, 3)])).toEqual([]);
        expect(await s.store.readNext("t", 0)).toBe(5);
        expect(await s.store.readNext("t", 1)).toBeNull();
        expect(await s.store.readNext("other", 0)).toBeNull();
        expect(await s.applied()).toBe(3);
      } finally {
        await s.close?.();
      }
    });

    it("reads the positions of several partitions at once; never-committed ones are absent", async () => {
      const s = await open();
      try {
        expect(await s.store.readPositions("t", [])).toEqual(new Map());
        expect(await s.store.readPositions("t", [0, 1])).toEqual(new Map());
        await s.store.commit([chunk("t", 0, null, 5, 1), chunk("t", 2, null, 9, 1), chunk("other", 1, null, 3, 1)]);
        expect(await s.store.readPositions("t", [0, 1, 2])).toEqual(
          new Map([
            [0, 5],
            [2, 9],
          ]),
        );
        expect(await s.store.readPositions("t", [2])).toEqual(new Map([[2, 9]]));
        expect(await s.store.readPositions("other", [0, 1])).toEqual(new Map([[1, 3]]));
      } finally {
        await s.close?.();
      }
    });

    it("refuses a commit whose expectation is stale, applying nothing of it", async () => {
      const s = await open();
      try {
        await s.store.commit([chunk("t", 0, null, 5, 1)]);
        const conflicts = await s.store.commit([chunk("t", 0, null, 9, 100)]);
        expect(conflicts).toEqual([{ topic: "t", partition: 0, storedNext: 5 }]);
        expect(await s.store.readNext("t", 0)).toBe(5);
        expect(await s.applied()).toBe(1);
        expect(await s.store.commit([chunk("t", 0, 4, 9, 100)])).toHaveLength(1);
        expect(await s.applied()).toBe(1);
      } finally {
        await s.close?.();
      }
    });

    it("commits several partitions all or nothing: one stale chunk refuses the whole commit", async () => {
      const s = await open();
      try {
        await s.store.commit([chunk("t", 1, null, 2, 1)]);
        const conflicts = await s.store.commit([chunk("t", 0, null, 3, 10), chunk("t", 1, 0, 4, 10)]);
        expect(conflicts.map((c) => [c.partition, c.storedNext])).toEqual([[1, 2]]);
        expect(await s.store.readNext("t", 0)).toBeNull();
        expect(await s.applied()).toBe(1);
        expect(await s.store.commit([chunk("t", 0, null, 3, 10), chunk("t", 1, 2, 4, 10)])).toEqual([]);
        expect([await s.store.readNext("t", 0), await s.store.readNext("t", 1)]).toEqual([3, 4]);
        expect(await s.applied()).toBe(21);
      } finally {
        await s.close?.();
      }
    });

    it("lets exactly one of two racing owners commit the same expectation", async () => {
      const s = await open();
      try {
        await s.store.commit([chunk("t", 0, null, 1, 1)]);
        const results = await Promise.all([
          s.store.commit([chunk("t", 0, 1, 7, 5)]),
          s.store.commit([chunk("t", 0, 1, 8, 5)]),
        ]);
        expect(results.filter((r) => r.length === 0)).toHaveLength(1);
        expect(await s.applied()).toBe(6);
        expect([7, 8]).toContain(await s.store.readNext("t", 0));
      } finally {
        await s.close?.();
      }
    });
  });
}
