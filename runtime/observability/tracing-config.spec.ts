import { describe, expect, it } from "vitest";
import { EnvReader } from "../config/env-reader.js";
import { readTracingConfig } from "./tracing-config.js";

const read = (env: Record<string, string>) => readTracingConfig(new EnvReader(env), "ping-counter");

describe("readTracingConfig", () => {
  it("is off by default, named after the service, parent-based always-on", () => {
    expect(read({})).toEqual({
      exporter: "none",
      otlpTracesUrl: "http://localhost:4318/v1/traces",
      serviceName: "ping-counter",
      sampler: "parentbased_always_on",
      samplerRatio: 1,
    });
  });

  it("reads the standard OTEL_* variables", () => {
    const config = read({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_SERVICE_NAME: "counter-a",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    expect(config).toMatchObject({
      exporter: "otlp",
      otlpTracesUrl: "http://collector:4318/v1/traces",
      serviceName: "counter-a",
      sampler: "parentbased_traceidratio",
      samplerRatio: 0.25,
    });
  });

  it("uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is", () => {
    const config = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:9999/custom",
    });
    expect(config.otlpTracesUrl).toBe("http://b:9999/custom");
  });

  it("falls back to ratio 1 on a bad sampler argument (as the spec says)", () => {
    expect(read({ OTEL_TRACES_SAMPLER_ARG: "2" }).samplerRatio).toBe(1);
  });

  it("refuses an unknown exporter or sampler, naming the variable", () => {
    expect(() => read({ OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => read({ OTEL_TRACES_SAMPLER: "sometimes" })).toThrow(/OTEL_TRACES_SAMPLER/);
  });
});
