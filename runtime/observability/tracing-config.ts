import type { EnvReader } from "../config/env-reader.js";

/** Where finished spans go. `none` (the default) installs no provider: every span is a no-op. */
export type TracesExporter = "none" | "otlp" | "console";

/** The subset of OTEL_TRACES_SAMPLER this runtime supports (the spec's built-in samplers). */
export type TracesSampler =
  | "always_on"
  | "always_off"
  | "traceidratio"
  | "parentbased_always_on"
  | "parentbased_always_off"
  | "parentbased_traceidratio";

export interface TracingConfig {
  /** OTEL_TRACES_EXPORTER; default `none` so a local run pays nothing for tracing. */
  readonly exporter: TracesExporter;
  /** OTLP/HTTP traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  readonly otlpTracesUrl: string;
  /** OTEL_SERVICE_NAME; default the process's service name. */
  readonly serviceName: string;
  /** OTEL_TRACES_SAMPLER; default `parentbased_always_on` (the spec's default). */
  readonly sampler: TracesSampler;
  /** OTEL_TRACES_SAMPLER_ARG for the ratio samplers, 0..1; default 1. */
  readonly samplerRatio: number;
}

const EXPORTERS: readonly TracesExporter[] = ["none", "otlp", "console"];
const SAMPLERS: readonly TracesSampler[] = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
];

/** Reads the standard OTEL_* variables; fails naming the variable on a bad value. */
export function readTracingConfig(env: EnvReader, serviceName: string): TracingConfig {
  const exporter = env.oneOf<TracesExporter>("OTEL_TRACES_EXPORTER", "none", EXPORTERS);
  const base = env.url("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318", ["http:", "https:"]);
  const otlpTracesUrl = env.has("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ? env.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", base, ["http:", "https:"])
    : `${base.replace(/\/+$/, "")}/v1/traces`;
  const sampler = env.oneOf<TracesSampler>("OTEL_TRACES_SAMPLER", "parentbased_always_on", SAMPLERS);
  const samplerRatio = ratio(env.string("OTEL_TRACES_SAMPLER_ARG", "1"));
  return { exporter, otlpTracesUrl, serviceName: env.string("OTEL_SERVICE_NAME", serviceName), sampler, samplerRatio };
}

function ratio(raw: string): number {
  const value = Number(raw);
  // The spec says an invalid argument falls back to the default rather than failing start-up.
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
}
