import type { Message } from "@bufbuild/protobuf";
import type { PartitionTask } from "./core/partition-task.js";
import type { OffsetSafeStore } from "./offset-safe-store.js";
import type { Projection } from "./projection.js";

interface ProjectionState<B> {
  /** Records folded since the last commit; null when none. */
  batch: B | null;
}

/**
 * A projection as a partition task: records fold into one batch per partition, and each commit
 * writes the batches with their offsets through the store (one Lua script, one SQL transaction).
 */
export function projectionTask<M extends Message, B>(
  projection: Projection<M, B>,
  store: OffsetSafeStore<B>,
  physicalTopic: string,
): PartitionTask<M, ProjectionState<B>, B> {
  return {
    name: projection.name,
    message: projection.message,
    store,
    async open(partition) {
      return { storedNext: await store.readNext(physicalTopic, partition), state: { batch: null } };
    },
    apply(state, record) {
      state.batch ??= projection.emptyBatch();
      projection.add(state.batch, record);
    },
    take(state) {
      const batch = state.batch;
      state.batch = null;
      return batch;
    },
    emptyChanges: () => projection.emptyBatch(),
    committed() {},
    restore(state, changes) {
      state.batch = changes;
    },
  };
}
