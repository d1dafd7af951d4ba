/**
 * Min-heap of timers as numbers and two string references: deadline and insertion sequence in
 * typed arrays, the key and the encoded value (the liveness check: a replaced or removed timer
 * no longer matches its key's current value) in plain arrays. About 32 bytes an item, against
 * ≈ 100 for a heap of objects: the mirror of 1M pending timers is mostly the values themselves.
 * Ordered by deadline; ties keep insertion order. Removal is lazy (callers skip stale items).
 */
export class TimerHeap {
  #due = new Float64Array(16);
  #seq = new Float64Array(16);
  readonly #keys: string[] = [];
  readonly #refs: string[] = [];
  #size = 0;
  #nextSeq = 0;

  get size(): number {
    return this.#size;
  }

  push(dueMs: number, key: string, ref: string): void {
    if (this.#size === this.#due.length) this.#grow();
    let i = this.#size++;
    const seq = this.#nextSeq++;
    // Sift up, moving parents down into the hole.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = this.#due[parent] as number;
      if (pd < dueMs || (pd === dueMs && (this.#seq[parent] as number) < seq)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#put(i, dueMs, seq, key, ref);
  }

  /** Earliest deadline, or undefined when empty. */
  peekDueMs(): number | undefined {
    return this.#size === 0 ? undefined : this.#due[0];
  }

  peekKey(): string | undefined {
    return this.#size === 0 ? undefined : this.#keys[0];
  }

  peekRef(): string | undefined {
    return this.#size === 0 ? undefined : this.#refs[0];
  }

  /** Drops the earliest item. */
  pop(): void {
    if (this.#size === 0) return;
    const last = --this.#size;
    const due = this.#due[last] as number;
    const seq = this.#seq[last] as number;
    const key = this.#keys[last] as string;
    const ref = this.#refs[last] as string;
    this.#keys.length = last;
    this.#refs.length = last;
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      let child = left;
      if (right < last && this.#less(right, left)) child = right;
      const cd = this.#due[child] as number;
      if (due < cd || (due === cd && seq < (this.#seq[child] as number))) break;
      this.#move(child, i);
      i = child;
    }
    this.#put(i, due, seq, key, ref);
  }

  #less(a: number, b: number): boolean {
    const x = this.#due[a] as number;
    const y = this.#due[b] as number;
    return x < y || (x === y && (this.#seq[a] as number) < (this.#seq[b] as number));
  }

  #move(from: number, to: number): void {
    this.#due[to] = this.#due[from] as number;
    this.#seq[to] = this.#seq[from] as number;
    this.#keys[to] = this.#keys[from] as string;
    this.#refs[to] = this.#refs[from] as string;
  }

  #put(i: number, due: number, seq: number, key: string, ref: string): void {
    this.#due[i] = due;
    this.#seq[i] = seq;
    this.#keys[i] = key;
    this.#refs[i] = ref;
  }

  #grow(): void {
    const due = new Float64Array(this.#due.length * 2);
    due.set(this.#due);
    this.#due = due;
    const seq = new Float64Array(this.#seq.length * 2);
    seq.set(this.#seq);
    this.#seq = seq;
  }
}
