import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { type GrpcHealthOptions, registerGrpcHealth } from "./grpc-health.js";
import { registerGrpcReflection } from "./grpc-reflection.js";
import { ReflectionIndex } from "./reflection-index.js";

export interface GrpcDiscoveryOptions extends Omit<GrpcHealthOptions, "services"> {
  /** The API's services: listed by reflection (with their files) and answered by Health. */
  readonly services: readonly DescService[];
  /** Interceptors of the discovery router (metrics; no credentials: probes carry none). */
  readonly interceptors?: Interceptor[];
}

/** The distinct services a router serves, in registration order. */
export function servicesOf(router: ConnectRouter): DescService[] {
  const byName = new Map<string, DescService>();
  for (const handler of router.handlers) byName.set(handler.service.typeName, handler.service);
  return [...byName.values()];
}

/**
 * A Connect handler serving grpc.health.v1.Health and grpc.reflection (v1, v1alpha) for
 * `services`. Meant as the API adapter's `fallback`, so these answer without the API's
 * credential interceptors: a probe or grpcurl learns readiness and the public schemas, nothing else.
 */
export function grpcDiscoveryHandler(options: GrpcDiscoveryOptions): ReturnType<typeof connectNodeAdapter> {
  const discovery = [Health, ServerReflectionV1, ServerReflectionV1Alpha];
  const index = new ReflectionIndex([...options.services, ...discovery]);
  return connectNodeAdapter({
    interceptors: options.interceptors ?? [],
    routes: (router) => {
      registerGrpcHealth(router, { ...options, services: index.serviceNames });
      registerGrpcReflection(router, index);
    },
  });
}
