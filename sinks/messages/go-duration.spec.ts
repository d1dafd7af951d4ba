import { describe, expect, it } from "vitest";
import { parseGoDurationMs } from "./go-duration.js";

describe("parseGoDurationMs", () => {
  it.each([
    ["168h", 168 * 3_600_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["2h45m30.5s", 9_930_500],
  ])("%s", (text, ms) => {
    expect(parseGoDurationMs(text, "X")).toBe(ms);
  });

  it.each(["", "168", "h", "-1h", "1d", "1h 30m", "abc"])("rejects %j naming the variable", (text) => {
    expect(() => parseGoDurationMs(text, "MESSAGES_RETENTION")).toThrow(/duration like 168h/);
  });
});
