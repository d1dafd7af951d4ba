import { describe, expect, it } from "vitest";
import { EnvReader } from "../runtime/config/env-reader.js";
import { readConsoleConfig } from "./config.js";

describe("readConsoleConfig", () => {
  it("has read-only defaults", () => {
    const c = readConsoleConfig(new EnvReader({}));
    expect(c.refreshIntervalMs).toBe(1_000);
    expect(c.redriveToken).toBe("");
    expect(c.serviceUrlTemplate).toBe("http://127.0.0.1:{port}");
  });

  it("reads name=value overrides and names the variable on a bad item", () => {
    const c = readConsoleConfig(new EnvReader({ CONSOLE_SERVICE_URLS: "gateway=http://h:1, ping-counter=http://h:2" }));
    expect([...c.serviceUrls]).toEqual([
      ["gateway", "http://h:1"],
      ["ping-counter", "http://h:2"],
    ]);
    expect(() => readConsoleConfig(new EnvReader({ CONSOLE_SERVICE_GROUPS: "nogroup" }))).toThrow(
      /CONSOLE_SERVICE_GROUPS/,
    );
  });
});
