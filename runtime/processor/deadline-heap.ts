/** Binary min-heap ordered by `dueMs`; ties keep insertion order. Removal is lazy (callers skip stale items). */
export class DeadlineHeap<T> {
  readonly #items: { dueMs: number; seq: number; item: T }[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  push(dueMs: number, item: T): void {
    const items = this.#items;
    items.push({ dueMs, seq: this.#seq++, item });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Earliest due time, or undefined when empty. */
  peekDueMs(): number | undefined {
    return this.#items[0]?.dueMs;
  }

  peek(): T | undefined {
    return this.#items[0]?.item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.#less(left, smallest)) smallest = left;
        if (right < items.length && this.#less(right, smallest)) smallest = right;
        if (smallest === i) break;
        this.#swap(i, smallest);
        i = smallest;
      }
    }
    return top.item;
  }

  clear(): void {
    this.#items.length = 0;
  }

  #less(a: number, b: number): boolean {
    const x = this.#items[a];
    const y = this.#items[b];
    if (x === undefined || y === undefined) return false;
    return x.dueMs < y.dueMs || (x.dueMs === y.dueMs && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const x = items[a];
    const y = items[b];
    if (x === undefined || y === undefined) return;
    items[a] = y;
    items[b] = x;
  }
}
