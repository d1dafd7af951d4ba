import { describeOffsetSafeStore } from "../../../test/contracts/offset-safe-store.contract.js";
import { InMemoryOffsetStore } from "./in-memory-store.js";

describeOffsetSafeStore("InMemoryOffsetStore", async () => {
  let sum = 0;
  const store = new InMemoryOffsetStore<number>((chunks) => {
    for (const c of chunks) sum += c.batch;
  });
  return { store, applied: async () => sum };
});
