import { createHash } from "node:crypto";
import { TributaryError } from "../../runtime/errors.js";
import { HEADER_IDEMPOTENCY_KEY } from "../../runtime/serde/topic-codec.js";

/** Request header (HTTP) or metadata entry (Connect, gRPC, gRPC-Web) carrying the key. */
export const IDEMPOTENCY_HEADER = "idempotency-key";
/** Record header naming the client's key: processors deduplicate only records that carry it. */
export const IDEMPOTENCY_RECORD_HEADER = HEADER_IDEMPOTENCY_KEY;
/** Longest key: it is part of a Dragonfly key and a record header (a UUID needs 36). */
export const MAX_IDEMPOTENCY_KEY_CHARS = 128;

/** Letters, digits and the characters of UUIDs, ULIDs and base64/base64url text. */
const KEY_CHARS = /^[A-Za-z0-9._:~+/=-]+$/;

/**
 * The caller's idempotency key from the header and/or a request field (Ping's idempotency_key),
 * null when neither is sent. Throws invalid_argument naming the offending field.
 */
export function parseIdempotencyKey(
  header: string | null | undefined,
  field?: { readonly name: string; readonly value: string },
): string | null {
  const fromHeader = header === null || header === undefined ? null : checkKey("Idempotency-Key", header);
  const fromField = field === undefined || field.value === "" ? null : checkKey(field.name, field.value);
  if (fromHeader !== null && fromField !== null && fromHeader !== fromField) {
    throw new TributaryError("invalid_argument", `differs from the Idempotency-Key header ("${fromHeader}")`, {
      field: field?.name,
    });
  }
  return fromHeader ?? fromField;
}

function checkKey(name: string, value: string): string {
  if (value.length === 0) throw new TributaryError("invalid_argument", "must not be empty when sent", { field: name });
  if (value.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    throw new TributaryError(
      "invalid_argument",
      `must be at most ${MAX_IDEMPOTENCY_KEY_CHARS} characters, got ${value.length}`,
      { field: name },
    );
  }
  if (!KEY_CHARS.test(value)) {
    throw new TributaryError("invalid_argument", "may contain only letters, digits and . _ : ~ + / = -", {
      field: name,
    });
  }
  return value;
}

/** Who a key belongs to: the authenticated client id, or "" when AUTH_MODE=off (one tenant). */
export interface IdempotencyScope {
  readonly tenant: string;
  /** The write, e.g. "ping.v1.PingService/Ping": the same key on two methods is two writes. */
  readonly method: string;
  readonly key: string;
}

/**
 * A UUID derived from (tenant, method, key) (SHA-256, version 8 layout): the record id of a keyed
 * write, so a retry after a crash writes a record with the same id and every consumer that
 * deduplicates by id (the counter's seen set, the pings table's primary key) counts it once.
 */
export function derivedId(scope: IdempotencyScope, part = ""): string {
  const hex = createHash("sha256")
    .update(`${scope.tenant}\u0000${scope.method}\u0000${scope.key}\u0000${part}`)
    .digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
