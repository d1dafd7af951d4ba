/**
 * Small seeded PRNG (mulberry32): the same `--seed` gives the same payloads, so runs repeat.
 * Not for anything secret.
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }

  /** Lower-case hex string of `length` characters. */
  hex(length: number): string {
    let out = "";
    while (out.length < length) out += this.int(0, 0xffff).toString(16).padStart(4, "0");
    return out.slice(0, length);
  }
}

const WORDS = [
  "hello",
  "world",
  "order",
  "shipped",
  "paid",
  "alert",
  "sensor",
  "door",
  "open",
  "closed",
  "low",
  "battery",
];

/** A few seeded words, e.g. "sensor door open". */
export function seededSentence(random: SeededRandom, words = 3): string {
  return Array.from({ length: words }, () => random.pick(WORDS)).join(" ");
}
