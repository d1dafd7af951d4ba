import type { KafkaAdapter } from "../kafka/kafka-adapter.js";

/** State of one dependency (or of the service itself) as /readyz reports it. */
export interface ComponentState {
  readonly ok: boolean;
  readonly detail?: string;
}

/** A dependency's check; may be async (a probe with its own short timeout). */
export type ComponentCheck = () => ComponentState | Promise<ComponentState>;

/** What /readyz answers: ready only when every component is ok; each one named in the body. */
export interface ReadinessState {
  readonly ok: boolean;
  readonly detail?: string;
  readonly components?: Readonly<Record<string, ComponentState>>;
}

export type HealthCheck = () => ReadinessState | Promise<ReadinessState>;

/** Longest a single component check may take before it counts as failing. */
const CHECK_TIMEOUT_MS = 1_500;

/**
 * One readiness check over named components (`kafka`, `redis`, `postgres`, `consumer`, ...):
 * not ready when any is not ok, and `detail` names the failing ones ("kafka: ECONNREFUSED").
 * A check that throws or takes longer than 1.5 s counts as failing.
 */
export function combineChecks(checks: Readonly<Record<string, ComponentCheck>>): HealthCheck {
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await bounded(check)] as const),
    );
    const failing = entries.filter(([, state]) => !state.ok);
    return {
      ok: failing.length === 0,
      detail: failing.map(([name, state]) => `${name}: ${state.detail ?? "not ok"}`).join("; "),
      components: Object.fromEntries(entries),
    };
  };
}

async function bounded(check: ComponentCheck): Promise<ComponentState> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<ComponentState>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** The broker, by a cached metadata probe (a producer's "connected" flag never goes false). */
export function kafkaCheck(kafka: Pick<KafkaAdapter, "probeBroker">): ComponentCheck {
  return () => kafka.probeBroker(1_000);
}

/** Dragonfly/Redis by its connection state (ioredis reconnects by itself; "ready" = usable). */
export function redisCheck(redis: { readonly status: string }): ComponentCheck {
  return () => (redis.status === "ready" ? { ok: true } : { ok: false, detail: `connection ${redis.status}` });
}

/** Postgres by a `select 1`, cached like the broker probe so probes do not take pool slots. */
export function postgresCheck(pool: { query(text: string): Promise<unknown> }, cacheMs = 1_500): ComponentCheck {
  let cached: { atMs: number; result: Promise<ComponentState> } | undefined;
  return () => {
    const nowMs = Date.now();
    if (cached === undefined || nowMs - cached.atMs >= cacheMs) {
      cached = {
        atMs: nowMs,
        result: pool.query("select 1").then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }),
        ),
      };
    }
    return cached.result;
  };
}
