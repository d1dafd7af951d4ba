import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { errorMessage, TributaryError } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/observability/logger.js";
import type { IdempotencyScope } from "./idempotency-key.js";

/** How a write's answer is kept in the result cache (JSON text) and read back. */
export interface ResultCodec<T> {
  encode(result: T): string;
  decode(text: string): T;
}

export interface IdempotentWritesOptions {
  /** Prefix of every cache key (the gateway's STATE_NAMESPACE). */
  readonly namespace: string;
  /** IDEMPOTENCY_WINDOW_MS: how long a key's first result is kept and answered again. */
  readonly windowMs: number;
  readonly log: Pick<Logger, "warn">;
}

/** The cache entry: the request's fingerprint (a key reused for another request is refused) and the answer. */
interface Entry {
  readonly f: string;
  readonly r: string;
}

/** A keyed write of this process not answered yet: a concurrent duplicate awaits it. */
type InFlight = Promise<Entry>;

/**
 * The gateway's result cache for keyed writes (Dragonfly/Redis, one string per key with a TTL of
 * the window). Read before producing: a hit answers the first result without writing. Written
 * after the broker's ack. Kafka stays the source of truth: a crash between the ack and the cache
 * write leaves no entry, the retry produces again, and the record's derived id lets every
 * consumer count it once (see derivedId). A concurrent duplicate on this gateway awaits the
 * first's answer; one on another gateway produces too and is deduplicated the same way.
 * Dragonfly down: the cache is skipped (logged), consumers still deduplicate.
 */
export class IdempotentWrites {
  readonly #redis: Redis;
  readonly #options: IdempotentWritesOptions;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(redis: Redis, options: IdempotentWritesOptions) {
    this.#redis = redis;
    this.#options = options;
  }

  /** Dragonfly key of a scope (tenant and key hashed: both are caller text). */
  cacheKey(scope: IdempotencyScope): string {
    const digest = createHash("sha256").update(`${scope.tenant}\u0000${scope.key}`).digest("base64url");
    return `${this.#options.namespace}tributary:idempotency:${scope.method}:${digest}`;
  }

  /**
   * Runs `write` once per scope within the window and answers its result to every repeat.
   * `fingerprint` identifies the request's content: a repeat with another one is invalid_argument.
   */
  async run<T>(
    scope: IdempotencyScope,
    fingerprint: string,
    codec: ResultCodec<T>,
    write: () => Promise<T>,
  ): Promise<T> {
    const key = this.cacheKey(scope);
    // Registered before the cache read: a duplicate arriving during that read must wait too.
    let answer = this.#inFlight.get(key);
    if (answer === undefined) {
      answer = this.#firstAnswer(key, fingerprint, codec, write);
      this.#inFlight.set(key, answer);
      const settled = answer;
      void settled.then(
        () => this.#inFlight.delete(key),
        () => this.#inFlight.delete(key),
      );
    }
    const entry = await answer;
    checkFingerprint(entry.f, fingerprint);
    return codec.decode(entry.r);
  }

  /** The cached entry, or the write's answer once acknowledged (then cached). */
  async #firstAnswer<T>(
    key: string,
    fingerprint: string,
    codec: ResultCodec<T>,
    write: () => Promise<T>,
  ): Promise<Entry> {
    const cached = await this.#read(key);
    if (cached !== null) return cached;
    const entry: Entry = { f: fingerprint, r: codec.encode(await write()) };
    await this.#store(key, entry);
    return entry;
  }

  async #read(key: string): Promise<Entry | null> {
    try {
      const text = await this.#redis.get(key);
      return text === null ? null : (JSON.parse(text) as Entry);
    } catch (err) {
      this.#options.log.warn(
        { err: errorMessage(err) },
        "idempotency cache unreadable: writing, consumers deduplicate",
      );
      return null;
    }
  }

  async #store(key: string, entry: Entry): Promise<void> {
    try {
      // NX: a concurrent duplicate on another gateway that got there first keeps its answer.
      await this.#redis.set(key, JSON.stringify(entry), "PX", this.#options.windowMs, "NX");
    } catch (err) {
      this.#options.log.warn({ err: errorMessage(err) }, "idempotency cache not written: a retry produces again");
    }
  }
}

function checkFingerprint(stored: string, fingerprint: string): void {
  if (stored !== fingerprint) {
    throw new TributaryError("invalid_argument", "was already used for a different request within the window", {
      field: "Idempotency-Key",
    });
  }
}

/** Fingerprint of a request's content (its encoded bytes or canonical JSON). */
export function fingerprintOf(content: Uint8Array | string): string {
  return createHash("sha256").update(content).digest("base64url");
}

/** Plain JSON answers (routes' bodies) kept as JSON text. */
export function jsonResultCodec<T>(): ResultCodec<T> {
  return { encode: (r) => JSON.stringify(r), decode: (text) => JSON.parse(text) as T };
}
