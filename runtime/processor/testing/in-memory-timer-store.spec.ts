import { contractTimerKeys, describeTimerStore } from "../../../test/contracts/timer-store.contract.js";
import { InMemoryTimerStore } from "./in-memory-timer-store.js";

describeTimerStore("InMemoryTimerStore", async () => {
  const keys = contractTimerKeys("mem");
  return { store: new InMemoryTimerStore(keys, "t"), keys, topic: "t" };
});
