import { errorMessage } from "../runtime/errors.js";

/** What one source answered: its value, or the error that makes it show as down. */
export type Reading<T> =
  | { readonly ok: true; readonly value: T; readonly atMs: number }
  | { readonly ok: false; readonly error: string; readonly atMs: number };

/** Runs a source; a failure becomes a down Reading (the page shows it, the rest keeps working). */
export async function readSafely<T>(source: () => Promise<T>, timeoutMs = 5_000): Promise<Reading<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      source(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, value, atMs: Date.now() };
  } catch (err) {
    return { ok: false, error: errorMessage(err), atMs: Date.now() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Single flight with a reuse window: concurrent callers share one run, and a result younger than
 * `reuseMs` is handed out again (several open pages cost the stack one query per refresh).
 */
export class Cached<T> {
  #last: { atMs: number; value: Promise<T> } | undefined;

  constructor(
    readonly reuseMs: number,
    readonly load: () => Promise<T>,
  ) {}

  get(): Promise<T> {
    const nowMs = Date.now();
    if (this.#last !== undefined && nowMs - this.#last.atMs < this.reuseMs) return this.#last.value;
    const value = this.load();
    this.#last = { atMs: nowMs, value };
    value.catch(() => {
      if (this.#last?.value === value) this.#last = undefined;
    });
    return value;
  }
}
