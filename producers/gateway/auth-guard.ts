import type { IncomingMessage } from "node:http";
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { Authenticator, Principal } from "../../runtime/auth/index.js";
import { TributaryError } from "../../runtime/errors.js";
import { scopeOfRoute, scopeOfRpc } from "./auth-scopes.js";
import type { JsonRouteAuthenticate } from "./json-route.js";
import { toConnectError } from "./to-connect-error.js";

/** The authenticated caller of a Connect handler; undefined when AUTH_MODE=off. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "tributary principal" });

export function principalOf(ctx: HandlerContext): Principal | undefined {
  return ctx.values.get(principalKey);
}

/**
 * Connect interceptor (Connect, gRPC and gRPC-Web alike): authenticates the bearer key, requires
 * the method's scope, charges its rate limit and hands the principal to the handler. A refused
 * rate carries its wait as response metadata `retry-after` (seconds, HTTP style) and
 * `retry-after-ms` — headers for Connect unary, trailers for gRPC and gRPC-Web.
 */
export function authInterceptor(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    const scope = scopeOfRpc(req.service.typeName, req.method.name);
    if (scope === undefined) {
      throw new ConnectError(`${req.service.typeName}/${req.method.name} has no scope: refused`, Code.PermissionDenied);
    }
    try {
      req.contextValues.set(principalKey, await authenticator.authorize(req.header.get("authorization"), scope));
    } catch (err) {
      throw toAuthConnectError(err);
    }
    return next(req);
  };
}

function toAuthConnectError(err: unknown): ConnectError {
  const connectError = toConnectError(err);
  if (err instanceof TributaryError && err.retryAfterMs !== undefined) {
    connectError.metadata.set("retry-after", String(Math.ceil(err.retryAfterMs / 1000)));
    connectError.metadata.set("retry-after-ms", String(err.retryAfterMs));
  }
  return connectError;
}

/** The authenticated caller of a plain-HTTP route (set by jsonRouteAuthenticate); undefined when AUTH_MODE=off. */
const requestPrincipals = new WeakMap<IncomingMessage, Principal>();

export function principalOfRequest(req: IncomingMessage): Principal | undefined {
  return requestPrincipals.get(req);
}

/** The same check for the plain-HTTP JSON routes (POST /event, POST /postback). */
export function jsonRouteAuthenticate(authenticator: Authenticator): JsonRouteAuthenticate {
  return async (route, req: IncomingMessage) => {
    const scope = scopeOfRoute(route.method, route.path);
    if (scope === undefined) {
      throw new TributaryError("permission_denied", `${route.method} ${route.path} has no scope: refused`);
    }
    const header = req.headers.authorization;
    requestPrincipals.set(req, await authenticator.authorize(Array.isArray(header) ? header[0] : header, scope));
  };
}
