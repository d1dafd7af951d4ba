/** One-line progress display on a TTY (a line per update elsewhere): done/total, rate, ETA. */
export class ProgressBar {
  readonly #startedAt = Date.now();
  readonly #out: NodeJS.WriteStream;
  #lastDrawAt = 0;

  constructor(
    readonly label: string,
    out: NodeJS.WriteStream = process.stderr,
  ) {
    this.#out = out;
  }

  update(done: number, total: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.#lastDrawAt < (this.#out.isTTY ? 100 : 1_000)) return;
    this.#lastDrawAt = now;
    this.#out.write(
      `${this.#out.isTTY ? "\r" : ""}${formatProgress(this.label, done, total, now - this.#startedAt)}${this.#out.isTTY ? "" : "\n"}`,
    );
  }

  finish(done: number, total: number, message: string): void {
    this.update(done, total, true);
    this.#out.write(`${this.#out.isTTY ? "\n" : ""}${message}\n`);
  }
}

export function formatProgress(label: string, done: number, total: number, elapsedMs: number): string {
  const width = 30;
  const ratio = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  const ratePerS = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const etaS = ratePerS > 0 ? Math.max(0, (total - done) / ratePerS) : Number.POSITIVE_INFINITY;
  const eta = Number.isFinite(etaS) ? `${etaS.toFixed(1)}s` : "?";
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(ratio * 100).toFixed(1)}% ${done}/${total} records ${Math.round(ratePerS)} rec/s ETA ${eta}`;
}
