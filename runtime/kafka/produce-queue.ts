import { errorMessage, TributaryError } from "../errors.js";
import type { OutgoingRecord, RecordPosition } from "./kafka-adapter.js";
import { endProduceSpan, type ProduceSpan, startProduceSpan } from "./produce-span.js";

/** Bounds of one send (one record or many): whichever ends first rejects the call. */
export interface SendOptions {
  /**
   * The caller's deadline or cancellation (an RPC's ctx.signal): when it aborts, the call rejects
   * `deadline_exceeded`; records not yet handed to the broker are then not written at all.
   */
  readonly signal?: AbortSignal;
  /** Server-side bound on waiting for the ack: rejects `unavailable`. Default: the producer's `sendTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * How long the records may wait for others to share their produce request when nothing is in
   * flight (a linger, as Java's `linger.ms`). Default 0: sent at once. Records arriving while a
   * request is in flight always wait for it and go out together in the next one.
   */
  readonly lingerMs?: number;
}

/** One record as the write function gets it. */
export interface QueuedRecord {
  readonly topic: string;
  readonly record: OutgoingRecord;
}

export interface ProduceQueueOptions {
  /** Writes one produce request; resolves with every record's position, in the order given. */
  readonly write: (records: readonly QueuedRecord[]) => Promise<RecordPosition[]>;
  /** Translates a write failure into the error every caller of that request gets. */
  readonly translate: (err: unknown) => unknown;
  /** Records per produce request (a larger send is split; its callers are answered after all parts). */
  readonly maxRecordsPerRequest: number;
  /** Default of SendOptions.timeoutMs. */
  readonly defaultTimeoutMs?: number;
  /** Default of SendOptions.lingerMs (0). */
  readonly defaultLingerMs?: number;
}

/** One caller's send: settled once, after all its records are acknowledged or on the first failure. */
interface Send {
  readonly topic: string;
  readonly records: readonly OutgoingRecord[];
  readonly spans: readonly (ProduceSpan | null)[] | null;
  readonly positions: RecordPosition[];
  remaining: number;
  settled: boolean;
  resolve(positions: RecordPosition[]): void;
  reject(err: unknown): void;
}

/** A contiguous part of a send, at most maxRecordsPerRequest records. */
interface Slice {
  readonly send: Send;
  readonly from: number;
  readonly to: number;
}

/**
 * The queue in front of a producer with one request in flight: concurrent sends are coalesced
 * into one produce request per round trip, each caller answered with its own positions once its
 * records are acknowledged. A caller that gave up (deadline, timeout) before its records were
 * handed to the broker is left out of the request.
 */
export class ProduceQueue {
  readonly #o: ProduceQueueOptions;
  #slices: Slice[] = [];
  #queuedRecords = 0;
  #inFlight = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #lingerUntilMs = Number.POSITIVE_INFINITY;

  constructor(options: ProduceQueueOptions) {
    this.#o = options;
  }

  /** True when nothing is queued or in flight. */
  get idle(): boolean {
    return !this.#inFlight && this.#slices.length === 0;
  }

  enqueue(topic: string, records: readonly OutgoingRecord[], options: SendOptions = {}): Promise<RecordPosition[]> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(deadlineError(signal));
        return;
      }
      if (records.length === 0) {
        resolve([]);
        return;
      }
      const timeoutMs = options.timeoutMs ?? this.#o.defaultTimeoutMs;
      // Null with tracing off (no per-record work); else a PRODUCER span per record.
      const first = startProduceSpan(topic, records[0] as OutgoingRecord);
      const spans = first === null ? null : [first, ...records.slice(1).map((r) => startProduceSpan(topic, r))];
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => send.reject(deadlineError(signal));
      const done = () => {
        send.settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const send: Send = {
        topic,
        records: spans === null ? records : spans.map((s, i) => s?.record ?? (records[i] as OutgoingRecord)),
        spans,
        positions: new Array<RecordPosition>(records.length),
        remaining: records.length,
        settled: false,
        resolve: (positions) => {
          if (send.settled) return;
          done();
          if (spans !== null) {
            for (let i = 0; i < spans.length; i++) endProduceSpan(spans[i] ?? null, positions[i]);
          }
          resolve(positions);
        },
        reject: (err) => {
          if (send.settled) return;
          done();
          if (spans !== null) for (const s of spans) endProduceSpan(s, undefined, err);
          reject(err);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            send.reject(
              new TributaryError(
                "unavailable",
                `kafka did not acknowledge the write within ${timeoutMs} ms (it may still be written)`,
                { canRetry: true },
              ),
            ),
          timeoutMs,
        );
      }
      const max = this.#o.maxRecordsPerRequest;
      for (let from = 0; from < records.length; from += max) {
        this.#slices.push({ send, from, to: Math.min(records.length, from + max) });
      }
      this.#queuedRecords += records.length;
      this.#schedule(options.lingerMs ?? this.#o.defaultLingerMs ?? 0);
    });
  }

  /** Resolves once nothing is queued or in flight. */
  async drained(): Promise<void> {
    while (!this.idle) await new Promise((r) => setTimeout(r, 10));
  }

  #schedule(lingerMs: number): void {
    if (this.#inFlight) return; // the running drain takes it next
    // A full request, or a sender that does not linger, goes now (and takes the lingering ones along).
    if (lingerMs <= 0 || this.#queuedRecords >= this.#o.maxRecordsPerRequest) {
      this.#clearLinger();
      void this.#drain();
      return;
    }
    const untilMs = performance.now() + lingerMs;
    if (untilMs >= this.#lingerUntilMs) return;
    this.#clearLinger();
    this.#lingerUntilMs = untilMs;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#lingerUntilMs = Number.POSITIVE_INFINITY;
      if (!this.#inFlight) void this.#drain();
    }, lingerMs);
  }

  #clearLinger(): void {
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#lingerUntilMs = Number.POSITIVE_INFINITY;
  }

  /** Next request's slices: whole slices up to maxRecordsPerRequest, skipping settled sends. */
  #take(): Slice[] {
    const taken: Slice[] = [];
    let count = 0;
    let i = 0;
    for (; i < this.#slices.length; i++) {
      const slice = this.#slices[i] as Slice;
      const size = slice.to - slice.from;
      if (slice.send.settled) {
        this.#queuedRecords -= size;
        continue;
      }
      if (count > 0 && count + size > this.#o.maxRecordsPerRequest) break;
      taken.push(slice);
      count += size;
      this.#queuedRecords -= size;
    }
    this.#slices = i === this.#slices.length ? [] : this.#slices.slice(i);
    return taken;
  }

  async #drain(): Promise<void> {
    this.#inFlight = true;
    try {
      while (this.#slices.length > 0) {
        const slices = this.#take();
        if (slices.length === 0) continue;
        const batch: QueuedRecord[] = [];
        for (const { send, from, to } of slices) {
          for (let i = from; i < to; i++) batch.push({ topic: send.topic, record: send.records[i] as OutgoingRecord });
        }
        let positions: RecordPosition[];
        try {
          positions = await this.#o.write(batch);
        } catch (err) {
          const translated = this.#o.translate(err);
          for (const { send } of slices) send.reject(translated);
          continue;
        }
        let at = 0;
        for (const { send, from, to } of slices) {
          for (let i = from; i < to; i++) send.positions[i] = positions[at++] as RecordPosition;
          send.remaining -= to - from;
          if (send.remaining === 0) send.resolve(send.positions);
        }
      }
    } finally {
      this.#inFlight = false;
    }
  }
}

export function deadlineError(signal: AbortSignal | undefined): TributaryError {
  const reason = signal?.reason === undefined ? "" : `: ${errorMessage(signal.reason)}`;
  return new TributaryError(
    "deadline_exceeded",
    `the caller's deadline passed before kafka acknowledged the write (it may still be written)${reason}`,
    { canRetry: true },
  );
}
