import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Every key starts with this, so a leaked key is recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = "trb_";
/** Key ids: 12 hex characters (48 random bits), public, safe to log and list. */
const KEY_ID_PATTERN = /^[0-9a-f]{12}$/;
/** Secret: 32 random bytes, base64url (43 characters). */
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ParsedApiKey {
  readonly keyId: string;
  readonly secret: string;
}

/** A new key `trb_<key id>_<secret>`; the caller shows it once and stores only its hash. */
export function generateApiKey(): ParsedApiKey & { readonly token: string } {
  const keyId = randomBytes(6).toString("hex");
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return { keyId, secret, token: formatApiKey(keyId, secret) };
}

export function formatApiKey(keyId: string, secret: string): string {
  return `${API_KEY_PREFIX}${keyId}_${secret}`;
}

/** The key id and secret of a well-formed key, or null (the caller answers unauthenticated). */
export function parseApiKey(token: string): ParsedApiKey | null {
  if (!token.startsWith(API_KEY_PREFIX)) return null;
  const rest = token.slice(API_KEY_PREFIX.length);
  const keyId = rest.slice(0, 12);
  const secret = rest.slice(13);
  if (rest[12] !== "_" || !KEY_ID_PATTERN.test(keyId) || !SECRET_PATTERN.test(secret)) return null;
  return { keyId, secret };
}

/** SHA-256 of the secret: enough for 256-bit random secrets (no dictionary to attack). */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedSha256: Uint8Array): boolean {
  const presented = hashSecret(secret);
  return storedSha256.length === presented.length && timingSafeEqual(presented, storedSha256);
}

/** The key of an `Authorization: Bearer <key>` header value, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  if (header == null) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
