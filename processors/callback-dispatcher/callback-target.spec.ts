import { describe, expect, it } from "vitest";
import { parseCallbackTarget } from "./callback-target.js";

describe("callback targets", () => {
  it("takes http(s) webhooks and connect+http(s) services", () => {
    expect(parseCallbackTarget("http://127.0.0.1:9000/cb?x=1")).toEqual({
      kind: "webhook",
      url: "http://127.0.0.1:9000/cb?x=1",
    });
    expect(parseCallbackTarget("connect+http://127.0.0.1:9000")).toEqual({
      kind: "connect",
      baseUrl: "http://127.0.0.1:9000",
    });
    expect(parseCallbackTarget("connect+https://svc.example/api")).toEqual({
      kind: "connect",
      baseUrl: "https://svc.example/api",
    });
  });

  it.each([
    ["", /is required/],
    ["callback", /must be a URL/],
    ["ftp://host/x", /scheme must be one of/],
    ["grpc://host:1", /scheme must be one of/],
  ])("rejects %j, naming the field", (target, message) => {
    expect(() => parseCallbackTarget(target)).toThrow(message);
    expect(() => parseCallbackTarget(target)).toThrow(expect.objectContaining({ field: "callback_target" }));
  });
});
