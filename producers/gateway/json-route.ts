import type { IncomingMessage, ServerResponse } from "node:http";
import { errorMessage, TributaryError, type TributaryErrorCode } from "../../runtime/errors.js";

/** A plain-HTTP JSON endpoint of the gateway (`POST /event`, `POST /postback`). */
export interface JsonRoute {
  readonly method: "POST";
  readonly path: string;
  /** Largest request body accepted, in bytes; a larger one is refused with 413 before parsing. */
  readonly maxBodyBytes: number;
  /** Parses the body text (default JSON.parse); a SyntaxError answers 400 "malformed JSON". */
  readonly parseBody?: (text: string) => unknown;
  /** Validates and handles the parsed body; throws TributaryError (with `field`) on bad input. */
  handle(body: unknown, req: IncomingMessage, signal: AbortSignal): Promise<{ status: number; body: unknown }>;
}

const statusOf: Record<TributaryErrorCode, number> = {
  config_invalid: 500,
  invalid_argument: 400,
  decode_failed: 400,
  schema_registry: 503,
  unavailable: 503,
  deadline_exceeded: 504,
  resource_exhausted: 429,
  offset_conflict: 409,
  not_found: 404,
  unauthenticated: 401,
  permission_denied: 403,
  internal: 500,
};

/** JSON error body every plain route answers with: `{"error": {"code", "field", "message"}}`. */
export function errorBody(code: string, message: string, field?: string): unknown {
  return { error: { code, ...(field === undefined ? {} : { field }), message } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

/** Bytes of an oversized body read and dropped so the caller can read its 413; past it, reset. */
const DISCARD_LIMIT_FACTOR = 64;
const DISCARD_WAIT_MS = 10_000;

/**
 * The body, or "too_large" once it passes `maxBytes`. An oversized body is not kept: the rest is
 * read and dropped (bounded by DISCARD_LIMIT_FACTOR × the cap and DISCARD_WAIT_MS, then the
 * connection is reset), so an HTTP client still sending gets its 413 instead of a broken pipe,
 * and memory stays bounded by the cap.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | "too_large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = () => {
      req.destroy();
      resolve("too_large");
    };
    const overflow = () => {
      tooLarge = true;
      chunks.length = 0;
      timer = setTimeout(giveUp, DISCARD_WAIT_MS);
      timer.unref();
    };
    if (Number.isFinite(declared) && declared > maxBytes * DISCARD_LIMIT_FACTOR) {
      resolve("too_large");
      return;
    }
    if (Number.isFinite(declared) && declared > maxBytes) overflow();
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > maxBytes * DISCARD_LIMIT_FACTOR) {
          clearTimeout(timer);
          giveUp();
        }
        return;
      }
      if (size > maxBytes) overflow();
      else chunks.push(chunk);
    });
    req.once("end", () => {
      clearTimeout(timer);
      resolve(tooLarge ? "too_large" : Buffer.concat(chunks));
    });
    req.once("error", (err) => {
      clearTimeout(timer);
      if (tooLarge) resolve("too_large");
      else reject(err);
    });
  });
}

/**
 * Serves the routes that match the request; returns false for any other path so the caller can
 * hand the request to the Connect router. Errors are JSON bodies naming the field.
 */
export function handleJsonRoute(
  routes: readonly JsonRoute[],
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
  authenticate?: JsonRouteAuthenticate,
): boolean {
  const path = (req.url ?? "/").split("?")[0];
  const route = routes.find((r) => r.path === path);
  if (route === undefined) return false;
  void serve(route, req, res, signal, authenticate);
  return true;
}

/**
 * Runs before the body is read (an unauthenticated caller costs no body bandwidth); throws a
 * TributaryError (unauthenticated, permission_denied, resource_exhausted with retryAfterMs).
 */
export type JsonRouteAuthenticate = (route: JsonRoute, req: IncomingMessage) => Promise<void>;

async function serve(
  route: JsonRoute,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
  authenticate: JsonRouteAuthenticate | undefined,
) {
  try {
    if (req.method !== route.method) {
      res.setHeader("allow", route.method);
      send(res, 405, errorBody("method_not_allowed", `${route.path} accepts ${route.method} only`));
      return;
    }
    if (authenticate !== undefined) await authenticate(route, req);
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      send(res, 415, errorBody("invalid_argument", "content-type must be application/json", "content-type"));
      return;
    }
    const raw = await readBody(req, route.maxBodyBytes);
    if (raw === "too_large") {
      // The body was dropped as it came (see readBody); the connection is not reused.
      res.setHeader("connection", "close");
      send(
        res,
        413,
        // Code stays invalid_argument (clients and tests of /event, /postback match on it); the
        // HTTP status says "too large".
        errorBody(
          "invalid_argument",
          `body larger than ${route.maxBodyBytes} bytes (the limit of ${route.path})`,
          "body",
        ),
      );
      return;
    }
    if (raw.length === 0) {
      send(res, 400, errorBody("invalid_argument", "body is empty; a JSON object is expected", "body"));
      return;
    }
    let body: unknown;
    try {
      body = (route.parseBody ?? JSON.parse)(raw.toString("utf8"));
    } catch (err) {
      send(res, 400, errorBody("invalid_argument", `malformed JSON: ${errorMessage(err)}`, "body"));
      return;
    }
    const answer = await route.handle(body, req, signal);
    send(res, answer.status, answer.body);
  } catch (err) {
    if (err instanceof TributaryError) {
      if (err.retryAfterMs !== undefined) res.setHeader("retry-after", String(Math.ceil(err.retryAfterMs / 1000)));
      send(res, statusOf[err.code], errorBody(err.code, err.message, err.field));
    } else {
      send(res, 500, errorBody("internal", errorMessage(err)));
    }
  }
}
