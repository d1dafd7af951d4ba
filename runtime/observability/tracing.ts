import {
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { newSpanId, newTraceId } from "./trace-ids.js";
import type { TracingConfig } from "./tracing-config.js";

/** The process's tracing: a real provider, or nothing at all when the exporter is `none`. */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered (shutdown calls it). */
  flush(): Promise<void>;
  /** Flushes, then uninstalls the provider so spans are no-ops again. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};
const headerSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** Null while tracing is off: call sites test it first so the off path does no OTel work at all. */
let activeTracer: Tracer | null = null;

/**
 * Installs a BasicTracerProvider for `config` (a no-op when the exporter is `none` and no
 * `exporter` is given). `exporter` overrides the configured one: tests pass an InMemorySpanExporter
 * and get every span synchronously (SimpleSpanProcessor).
 */
export function startTracing(config: TracingConfig, options: { exporter?: SpanExporter } = {}): Tracing {
  if (options.exporter === undefined && config.exporter === "none") {
    return { enabled: false, flush: async () => undefined, shutdown: async () => undefined };
  }
  const exporter = options.exporter ?? configuredExporter(config);
  const processor =
    options.exporter !== undefined || config.exporter === "console"
      ? new SimpleSpanProcessor(exporter)
      : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: sampler(config),
    idGenerator: { generateTraceId: newTraceId, generateSpanId: newSpanId },
    spanProcessors: [processor],
  });
  trace.setGlobalTracerProvider(provider);
  activeTracer = provider.getTracer("tributary");
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      activeTracer = null;
      trace.disable();
      await provider.shutdown();
    },
  };
}

function configuredExporter(config: TracingConfig): SpanExporter {
  return config.exporter === "console"
    ? new ConsoleSpanExporter()
    : new OTLPTraceExporter({ url: config.otlpTracesUrl });
}

function sampler(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The tracer while tracing is on, else null (callers skip span work entirely). */
export function activeTracerOrNull(): Tracer | null {
  return activeTracer;
}

/** Context whose parent is the W3C `traceparent` (ROOT_CONTEXT when absent or malformed). */
export function contextFromTraceparent(traceparent: string | undefined | null): Context {
  if (traceparent === undefined || traceparent === null || traceparent === "") return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, headerGetter);
}

/** Span context carried by a `traceparent`, or null. */
export function spanContextOf(traceparent: string | undefined | null): SpanContext | null {
  return trace.getSpanContext(contextFromTraceparent(traceparent)) ?? null;
}

/** The `traceparent` header value of a span. */
export function traceparentOf(span: Span): string {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, headerSetter);
  return carrier.traceparent ?? "";
}

/** Starts a span under `parent` (a traceparent or a context); null when tracing is off. */
export function startSpan(name: string, parent: string | Context | undefined, options: SpanOptions = {}): Span | null {
  const tracer = activeTracer;
  if (tracer === null) return null;
  const ctx = typeof parent === "string" || parent === undefined ? contextFromTraceparent(parent) : parent;
  return tracer.startSpan(name, options, ctx);
}

/** Most links one batch span carries (a 10k-record batch must not build a 10k-link span). */
export const MAX_SPAN_LINKS = 128;

/** Links to the span contexts of `traceparents` (distinct, at most MAX_SPAN_LINKS). */
export function linksTo(traceparents: Iterable<string | undefined>): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const tp of traceparents) {
    if (links.length >= MAX_SPAN_LINKS) break;
    if (tp === undefined || seen.has(tp)) continue;
    seen.add(tp);
    const context = spanContextOf(tp);
    if (context !== null) links.push({ context });
  }
  return links;
}

/** Ends `span` with an error status when `err` is given. */
export function endSpan(span: Span | null, err?: unknown): void {
  if (span === null) return;
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: 2, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}
