import { describe, expect, it } from "vitest";
import { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
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

describe("callback targets under the outbound policy", () => {
  const policy = new OutboundPolicy({ cidrs: ["127.0.0.1/32"], hosts: [] });

  it.each([
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/x",
    "http://[::1]:9/x",
    "http://2130706434:1/x", // 127.0.0.2: not the allow-listed address
    "http://localhost:9/x",
    "connect+http://0x7f.2:9",
    "connect+http://[::ffff:10.0.0.1]:9",
    "connect+https://169.254.169.254",
  ])("refuses literal blocked target %s, naming the field", (target) => {
    expect(() => parseCallbackTarget(target, "callback_target", policy)).toThrow(
      expect.objectContaining({ code: "invalid_argument", field: "callback_target" }),
    );
  });

  it("lets the allow-listed receiver address and public names through", () => {
    expect(parseCallbackTarget("http://127.0.0.1:9000/cb", "callback_target", policy).kind).toBe("webhook");
    expect(parseCallbackTarget("connect+http://127.0.0.1:9000", "callback_target", policy).kind).toBe("connect");
    expect(parseCallbackTarget("https://client.example/cb", "callback_target", policy).kind).toBe("webhook");
  });
});
