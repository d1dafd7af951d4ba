import type { Writable } from "node:stream";

/**
 * The CLI's data stream (stdout). On a pipe, Node writes asynchronously: `process.exit` with
 * data still queued lost most of `tail | wc -l` (issue 16), and a reader that leaves (`| head`)
 * made the next write throw EPIPE. So writes wait for 'drain' when the pipe is full, `flush()`
 * resolves once everything written reached the OS, and EPIPE quietly closes the output:
 * `closed` aborts, later writes are dropped, and the command ends with exit code 0.
 */
export class DataOutput {
  readonly #stream: Writable;
  readonly #closed = new AbortController();
  #error: Error | undefined;

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") this.#error ??= err;
      this.#closed.abort();
    });
  }

  /** Aborts when the reader went away (EPIPE) or the stream failed: stop producing output. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** A write error other than EPIPE, if one happened. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Writes text, waiting while the pipe is full (backpressure). */
  async write(text: string): Promise<void> {
    if (this.#closed.signal.aborted) return;
    if (this.#stream.write(text)) return;
    await this.#until("drain");
  }

  /** Resolves once everything written so far left the process (or the output closed). */
  async flush(): Promise<void> {
    if (this.#closed.signal.aborted || this.#stream.writableLength === 0) return;
    // An empty write's callback runs after every earlier chunk was handed to the OS; 'drain'
    // alone would never come when the queue is below the high-water mark.
    await new Promise<void>((resolve) => {
      this.#stream.write("", () => resolve());
      this.#closed.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  #until(event: "drain"): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#stream.off(event, done);
        this.#closed.signal.removeEventListener("abort", done);
        resolve();
      };
      this.#stream.once(event, done);
      this.#closed.signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** The process's stdout: commands that write a lot write through it (others are flushed at exit). */
export const stdout = new DataOutput(process.stdout);
export const stderr = new DataOutput(process.stderr);
