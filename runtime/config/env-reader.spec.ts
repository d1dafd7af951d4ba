import { describe, expect, it } from "vitest";
import { EnvReader } from "./env-reader.js";
import { readPlatformConfig } from "./platform-config.js";

describe("configuration from the environment", () => {
  const defaults = { serviceName: "svc", httpPort: 8080 };

  it("uses documented defaults", () => {
    const config = readPlatformConfig(new EnvReader({}), defaults);
    expect(config.httpPort).toBe(8080);
    expect(config.kafkaBrokers).toEqual(["127.0.0.1:19092"]);
  });

  it("names the variable of a non-numeric port", () => {
    expect(() => readPlatformConfig(new EnvReader({ HTTP_PORT: "eighty" }), defaults)).toThrow(
      'invalid configuration: HTTP_PORT must be an integer, got "eighty"',
    );
  });

  it("names the variable of a bad URL or level", () => {
    expect(() => readPlatformConfig(new EnvReader({ REDIS_URL: "http://x" }), defaults)).toThrow(
      /REDIS_URL must use redis:/,
    );
    expect(() => readPlatformConfig(new EnvReader({ LOG_LEVEL: "loud" }), defaults)).toThrow(
      /LOG_LEVEL must be one of/,
    );
  });
});
