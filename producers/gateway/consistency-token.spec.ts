import { describe, expect, it } from "vitest";
import { formatToken, mergeTargets, parseToken, targetsOf } from "./consistency-token.js";

describe("consistency tokens", () => {
  it("are the offsets after the acknowledged records, per partition", () => {
    const targets = targetsOf([
      { topic: "t", partition: 3, offset: 10 },
      { topic: "t", partition: 0, offset: 4 },
      { topic: "t", partition: 3, offset: 12 },
    ]);
    expect(formatToken(targets)).toBe("0:5,3:13");
    expect(parseToken("0:5,3:13")).toEqual(targets);
  });

  it("merge to the per-partition maximum", () => {
    expect(
      formatToken(
        mergeTargets(
          new Map([[0, 5]]),
          new Map([
            [0, 3],
            [1, 2],
          ]),
        ),
      ),
    ).toBe("0:5,1:2");
  });

  it("empty asks for nothing; malformed is null", () => {
    expect(parseToken("")).toEqual(new Map());
    for (const bad of ["x", "1:", ":2", "1:2,", "1:-2", "1:99999999999999999999"]) expect(parseToken(bad)).toBeNull();
  });
});
