import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import {
  asUsage,
  commaList,
  httpUrl,
  integerAtLeast,
  isoTimeMs,
  replayFrom,
  tailFrom,
  timeOrEpochMs,
} from "./options.js";

describe("cli option parsers", () => {
  it("integerAtLeast accepts integers at or above the minimum and refuses the rest with a usage error", () => {
    const limit = integerAtLeast(0);
    expect(limit("0")).toBe(0);
    expect(limit("25")).toBe(25);
    for (const bad of ["abc", "-1", "1.5", "", "1e3", "NaN"]) {
      expect(() => limit(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => limit("abc")).toThrow('must be an integer >= 0, got "abc"');
    expect(() => integerAtLeast(1)("0")).toThrow(">= 1");
  });

  it("tailFrom takes beginning, end, an offset or an ISO time", () => {
    for (const ok of ["beginning", "end", "42", "2026-12-01T00:00:00Z"]) expect(tailFrom(ok)).toBe(ok);
    for (const bad of ["earliest", "-5", "yesterday"]) expect(() => tailFrom(bad)).toThrow(InvalidArgumentError);
  });

  it("replayFrom takes earliest or an ISO time", () => {
    expect(replayFrom("earliest")).toBe("earliest");
    expect(replayFrom("2026-12-01T00:00:00Z")).toBe("2026-12-01T00:00:00Z");
    expect(() => replayFrom("beginning")).toThrow(InvalidArgumentError);
  });

  it("parses times to epoch ms", () => {
    expect(isoTimeMs("2026-12-01T00:00:00Z")).toBe(Date.UTC(2026, 11, 1));
    expect(timeOrEpochMs("1728926331000")).toBe(1728926331000);
    expect(() => isoTimeMs("soon")).toThrow(InvalidArgumentError);
  });

  it("httpUrl and commaList refuse what would fail later with a vaguer message", () => {
    expect(httpUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(() => httpUrl("127.0.0.1:8080")).toThrow(InvalidArgumentError);
    expect(() => httpUrl("ftp://x")).toThrow(InvalidArgumentError);
    expect(commaList("a,,b")).toEqual(["a", "b"]);
    expect(() => commaList(",")).toThrow(InvalidArgumentError);
  });

  it("asUsage turns another module's parse error into a usage error, keeping its message", () => {
    const parse = asUsage((t: string) => {
      if (t !== "ok") throw new Error(`bad "${t}"`);
      return 1;
    });
    expect(parse("ok")).toBe(1);
    expect(() => parse("x")).toThrow(InvalidArgumentError);
    expect(() => parse("x")).toThrow('bad "x"');
  });
});
