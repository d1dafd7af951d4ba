import { describe, expect, it } from "vitest";
import { TributaryError } from "../errors.js";
import { parseScopes } from "./scopes.js";

describe("parseScopes", () => {
  it("splits, trims and de-duplicates", () => {
    expect(parseScopes(" ping:write, txn:read ,ping:write,")).toEqual(["ping:write", "txn:read"]);
  });

  it.each([
    ["", /at least one scope/],
    [" , ", /at least one scope/],
    ["ping:write,txn:admin", /unknown scope "txn:admin"/],
  ])("%j → invalid_argument on field scopes", (text, message) => {
    const err = (() => {
      try {
        parseScopes(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TributaryError);
    expect(err).toMatchObject({ code: "invalid_argument", field: "scopes" });
    expect((err as Error).message).toMatch(message);
  });
});
