import { TributaryError } from "../../runtime/errors.js";

/** What a caller asks to publish, validated. */
export interface NotificationInput {
  readonly id: bigint;
  readonly description: string;
}

/**
 * Limits of a notification. The description limit keeps one record far below the broker's
 * message size and a log line readable; the body limit leaves room for JSON escapes
 * (`\uXXXX` is 6 bytes for one UTF-16 unit).
 */
export const NOTIFICATION_LIMITS = {
  maxDescriptionBytes: 4_096,
  maxBodyBytes: 32_768,
} as const;

const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_LITERAL = /^-?(0|[1-9][0-9]*)$/;

/** A JSON number as it was written, so ids beyond 2^53 are not rounded by JSON.parse. */
export class JsonNumber {
  constructor(readonly source: string) {}
}

/**
 * JSON.parse keeping every number's source text (Node ≥ 22 passes it to the reviver): a body
 * `{"id": 9223372036854775807}` must be read exactly, and `1.0` or `1e3` must be told apart from
 * an integer literal.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" ? new JsonNumber(context?.source ?? String(value)) : value,
  );
}

function invalid(field: string, message: string): TributaryError {
  return new TributaryError("invalid_argument", message, { field });
}

/** Rules shared by both doors: id in 1..2^63−1, description non-empty and within the limit. */
export function checkNotification(id: bigint, description: string): NotificationInput {
  // proto3 cannot tell an id of 0 from a missing one, so 0 is "missing" on both doors.
  if (id === 0n) throw invalid("id", "is required (an integer from 1 to 9223372036854775807)");
  if (id < 0n) throw invalid("id", `must be positive, got ${id}`);
  if (id > INT64_MAX) throw invalid("id", `must be at most 9223372036854775807 (int64), got ${id}`);
  if (description.length === 0) throw invalid("description", "is required (a non-empty string)");
  // Postgres text cannot hold U+0000; refused here rather than dead-lettered by the consumer.
  if (description.includes("\u0000")) throw invalid("description", "must not contain U+0000");
  const bytes = Buffer.byteLength(description, "utf8");
  if (bytes > NOTIFICATION_LIMITS.maxDescriptionBytes) {
    throw invalid(
      "description",
      `is ${bytes} bytes; at most ${NOTIFICATION_LIMITS.maxDescriptionBytes} bytes (UTF-8) are accepted`,
    );
  }
  return { id, description };
}

/**
 * The body of `POST /event` (parsed by parseJsonKeepingNumbers): exactly `{"id", "description"}`.
 * `id` must be a JSON integer literal: a string, even a numeric one, is refused here (the
 * plain door has one spelling; Connect's JSON follows the proto3 mapping, where int64 may be a
 * string).
 */
export function parseEventBody(body: unknown): NotificationInput {
  if (typeof body !== "object" || body === null || Array.isArray(body) || body instanceof JsonNumber) {
    throw invalid("body", 'must be a JSON object like {"id": 123, "description": "hello world"}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find((k) => k !== "id" && k !== "description");
  if (unknown !== undefined) {
    // The empty key would otherwise name no field (found by fuzzing).
    throw invalid(unknown === "" ? '""' : unknown, `unknown field "${unknown}"; only id and description are accepted`);
  }
  const id = fields.id;
  if (id === undefined || id === null) throw invalid("id", "is required (an integer from 1 to 9223372036854775807)");
  if (!(id instanceof JsonNumber)) throw invalid("id", `must be a JSON integer, got ${describe(id)}`);
  if (!INTEGER_LITERAL.test(id.source)) throw invalid("id", `must be an integer, got ${id.source}`);
  const description = fields.description;
  if (description === undefined || description === null) {
    throw invalid("description", "is required (a non-empty string)");
  }
  if (typeof description !== "string") throw invalid("description", `must be a string, got ${describe(description)}`);
  return checkNotification(BigInt(id.source), description);
}

function describe(value: unknown): string {
  if (value instanceof JsonNumber) return `the number ${value.source}`;
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
