import { errorMessage, TributaryError } from "../errors.js";
import { bearerToken, parseApiKey, secretMatches } from "./api-key.js";
import type { ApiKeyRecord } from "./key-store.js";
import type { Scope } from "./scopes.js";
import type { TakeResult } from "./token-bucket.js";

/** Who is calling: the key's id, its one client id and its scopes. */
export interface Principal {
  readonly keyId: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<Scope>;
}

export interface AuthenticatorDeps {
  /** Looks a key up by id (PgApiKeyStore.find). */
  readonly findKey: (keyId: string) => Promise<ApiKeyRecord | null>;
  /** Takes one token of the key's bucket (RedisTokenBucket.take). */
  readonly takeToken: (keyId: string, ratePerSecond: number, burst: number) => Promise<TakeResult>;
  /**
   * How long a looked-up key (or an unknown key id) is reused before Postgres is asked again:
   * a revocation takes effect within this time on every replica.
   */
  readonly cacheTtlMs: number;
  readonly now?: () => number;
}

/** Entries kept at most; a full cache is dropped wholesale (a flood of random key ids). */
const MAX_CACHED_KEYS = 10_000;

/**
 * Authenticates `Authorization: Bearer trb_…` headers against the key store, authorises one scope
 * and charges the key's rate limit. Errors are TributaryErrors: unauthenticated (missing, malformed,
 * unknown, wrong secret, revoked), permission_denied (scope), resource_exhausted (rate, with
 * retryAfterMs), unavailable (key store or Dragonfly down: fail closed).
 */
export class Authenticator {
  readonly #cache = new Map<string, { record: ApiKeyRecord | null; expiresAtMs: number }>();
  readonly #now: () => number;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async authorize(authorization: string | null | undefined, scope: Scope): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === null) {
      throw new TributaryError("unauthenticated", "an API key is required: Authorization: Bearer trb_…", {
        field: "authorization",
      });
    }
    const parsed = parseApiKey(token);
    if (parsed === null) {
      throw new TributaryError("unauthenticated", "malformed API key (expected trb_<key id>_<secret>)", {
        field: "authorization",
      });
    }
    const record = await this.#lookUp(parsed.keyId);
    if (record === null || !secretMatches(parsed.secret, record.secretSha256)) {
      throw new TributaryError("unauthenticated", "unknown API key", { field: "authorization" });
    }
    if (record.revokedAt !== null) {
      throw new TributaryError("unauthenticated", `API key ${record.keyId} is revoked`, { field: "authorization" });
    }
    if (!record.scopes.includes(scope)) {
      throw new TributaryError(
        "permission_denied",
        `API key ${record.keyId} lacks scope ${scope} (it has ${record.scopes.join(", ") || "none"})`,
        { field: "scope" },
      );
    }
    let taken: TakeResult;
    try {
      taken = await this.deps.takeToken(record.keyId, record.ratePerSecond, record.burst);
    } catch (err) {
      throw new TributaryError("unavailable", `rate limiter unavailable: ${errorMessage(err)}`, {
        canRetry: true,
        cause: err,
      });
    }
    if (!taken.allowed) {
      throw new TributaryError(
        "resource_exhausted",
        `rate limit of API key ${record.keyId} exceeded (${record.ratePerSecond}/s, burst ${record.burst}); ` +
          `retry after ${taken.retryAfterMs} ms`,
        { canRetry: true, retryAfterMs: taken.retryAfterMs },
      );
    }
    return { keyId: record.keyId, clientId: record.clientId, scopes: new Set(record.scopes) };
  }

  async #lookUp(keyId: string): Promise<ApiKeyRecord | null> {
    const now = this.#now();
    const cached = this.#cache.get(keyId);
    if (cached !== undefined && cached.expiresAtMs > now) return cached.record;
    let record: ApiKeyRecord | null;
    try {
      record = await this.deps.findKey(keyId);
    } catch (err) {
      throw new TributaryError("unavailable", `API key store unavailable: ${errorMessage(err)}`, {
        canRetry: true,
        cause: err,
      });
    }
    if (this.#cache.size >= MAX_CACHED_KEYS) this.#cache.clear();
    this.#cache.set(keyId, { record, expiresAtMs: now + this.deps.cacheTtlMs });
    return record;
  }
}

/** permission_denied unless the request's client id is the key's (field named in the message). */
export function requireOwnClient(principal: Principal | undefined, field: string, clientId: string): void {
  if (principal === undefined || principal.clientId === clientId) return;
  throw new TributaryError(
    "permission_denied",
    `API key ${principal.keyId} belongs to client "${principal.clientId}", not "${clientId}"`,
    { field },
  );
}
