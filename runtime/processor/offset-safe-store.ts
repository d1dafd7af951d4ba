/** Records of one partition accepted since the last commit, with the state derived from them. */
export interface PartitionChunk<B> {
  readonly topic: string;
  readonly partition: number;
  /** Next offset the store held when this chunk started; null when the store never saw it. */
  readonly expectedNext: number | null;
  /** Offset after the chunk's last record: the store's next offset once committed. */
  nextOffset: number;
  readonly batch: B;
  records: number;
}

export interface OffsetConflict {
  readonly topic: string;
  readonly partition: number;
  readonly storedNext: number | null;
}

/**
 * A state store that keeps consumed offsets atomically with the state derived from them.
 * `commit` is compare-and-set on the offsets: when any chunk's expectedNext differs from what the
 * store holds (another instance got there first, a replay switched namespaces), nothing is
 * applied and the conflicting partitions are returned.
 */
export interface OffsetSafeStore<B> {
  readNext(topic: string, partition: number): Promise<number | null>;
  /**
   * The next offsets the store holds for these partitions of `topic`, in one cheap read; a
   * partition never committed (or whose offsets were lost) is absent. The core compares them
   * with what it committed to notice, on an idle partition, a store that lost everything or a
   * partition moved by another owner (see TaskRunner, STORE_CHECK_INTERVAL_MS).
   */
  readPositions(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, number>>;
  commit(chunks: readonly PartitionChunk<B>[]): Promise<OffsetConflict[]>;
}
