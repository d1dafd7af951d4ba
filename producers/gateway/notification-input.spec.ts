import { describe, expect, it } from "vitest";
import { TributaryError } from "../../runtime/errors.js";
import {
  checkNotification,
  NOTIFICATION_LIMITS,
  parseEventBody,
  parseJsonKeepingNumbers,
} from "./notification-input.js";

function fieldOf(text: string): string | undefined {
  try {
    parseEventBody(parseJsonKeepingNumbers(text));
  } catch (err) {
    if (err instanceof TributaryError && err.code === "invalid_argument") return err.field;
    throw err;
  }
  return undefined;
}

describe("POST /event body", () => {
  it("accepts the seed's body and int64 ids exactly", () => {
    expect(parseEventBody(parseJsonKeepingNumbers('{"id": 123, "description": "hello world"}'))).toEqual({
      id: 123n,
      description: "hello world",
    });
    expect(parseEventBody(parseJsonKeepingNumbers('{"id": 9223372036854775807, "description": "x"}')).id).toBe(
      9_223_372_036_854_775_807n,
    );
  });

  it.each([
    ['{"id": "123", "description": "x"}', "id"],
    ['{"id": 1.5, "description": "x"}', "id"],
    ['{"id": 1e3, "description": "x"}', "id"],
    ['{"id": -1, "description": "x"}', "id"],
    ['{"id": 0, "description": "x"}', "id"],
    ['{"description": "x"}', "id"],
    ['{"id": null, "description": "x"}', "id"],
    ['{"id": 9223372036854775808, "description": "x"}', "id"],
    ['{"id": 1}', "description"],
    ['{"id": 1, "description": ""}', "description"],
    ['{"id": 1, "description": 5}', "description"],
    ['{"id": 1, "description": "a\\u0000b"}', "description"],
    ['{"id": 1, "description": "x", "timestamp": "2025-01-01T00:00:00Z"}', "timestamp"],
    ["[1]", "body"],
    ["123", "body"],
  ])("%s → invalid_argument on %s", (text, field) => {
    expect(fieldOf(text)).toBe(field);
  });

  it("limits the description in UTF-8 bytes", () => {
    const max = NOTIFICATION_LIMITS.maxDescriptionBytes;
    expect(checkNotification(1n, "é".repeat(max / 2)).description).toHaveLength(max / 2);
    expect(() => checkNotification(1n, `${"é".repeat(max / 2)}x`)).toThrow(/description|bytes/);
  });
});
