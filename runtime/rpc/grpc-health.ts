import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

export interface GrpcHealthOptions {
  /** Service names answered besides "" (the whole server); any other name is NOT_FOUND. */
  readonly services: readonly string[];
  /**
   * Whether the server can do its work now (e.g. the producer is connected and the broker
   * answers). Asked on every Check and every Watch poll; a throw counts as not serving.
   */
  readonly isServing: () => boolean | Promise<boolean>;
  /**
   * How often a Watch re-asks `isServing`; a status is sent only when it changed. Default 1000:
   * as often as a Kubernetes probe can ask, and readiness checks cache for about that long.
   */
  readonly watchIntervalMs?: number;
  /** Process shutdown: from then on every answer is NOT_SERVING and Watch streams end. */
  readonly signal?: AbortSignal;
}

/**
 * grpc.health.v1.Health (Check and Watch) for Kubernetes gRPC probes, grpc_health_probe and
 * load balancers. Every listed service shares the server's state: they live in one process.
 */
export function registerGrpcHealth(router: ConnectRouter, options: GrpcHealthOptions): void {
  const known = new Set(["", ...options.services]);
  const watchIntervalMs = options.watchIntervalMs ?? 1_000;
  const shutdown = options.signal ?? new AbortController().signal;
  const status = async (): Promise<Status> => {
    if (shutdown.aborted) return Status.NOT_SERVING;
    try {
      return (await options.isServing()) ? Status.SERVING : Status.NOT_SERVING;
    } catch {
      return Status.NOT_SERVING;
    }
  };
  router.service(Health, {
    async check(request) {
      if (!known.has(request.service)) {
        throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      }
      return { status: await status() };
    },
    async *watch(request, ctx) {
      // The protocol: an unknown service is SERVICE_UNKNOWN, and the call stays open.
      const isKnown = known.has(request.service);
      const stop = AbortSignal.any([ctx.signal, shutdown]);
      let last: Status | undefined;
      for (;;) {
        const now = isKnown ? await status() : Status.SERVICE_UNKNOWN;
        if (now !== last) {
          last = now;
          yield { status: now };
        }
        if (stop.aborted) return;
        try {
          await sleep(watchIntervalMs, undefined, { signal: stop });
        } catch {
          // Aborted: a shutdown sends its NOT_SERVING on the next turn, then the stream ends.
          if (ctx.signal.aborted) return;
        }
      }
    },
  });
}
