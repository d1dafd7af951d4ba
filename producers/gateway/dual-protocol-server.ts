import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";

export type DualHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0");

/** Bounds against slow or greedy clients; every field has a default. */
export interface DualProtocolLimits {
  /** Time to send the request headers (HTTP/1.1) or the first bytes (both). Default 10000. */
  readonly headersTimeoutMs?: number;
  /** Time to send a whole HTTP/1.1 request. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Concurrent streams per HTTP/2 connection. Default 256. */
  readonly maxConcurrentStreams?: number;
}

/**
 * One cleartext port for HTTP/1.1 (Connect, gRPC-Web, curl, plain JSON routes) and HTTP/2 with
 * prior knowledge (gRPC). Node cannot serve both on one plaintext listener, so the first bytes
 * of each connection pick the protocol.
 */
export async function listenDualProtocol(
  handler: DualHandler,
  port: number,
  host: string,
  limits: DualProtocolLimits = {},
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const headersTimeoutMs = limits.headersTimeoutMs ?? 10_000;
  const h1 = createHttp1Server(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs ?? 30_000,
      // Node checks both timeouts only this often (default 30 s, longer than the timeouts).
      connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
    },
    handler as (req: IncomingMessage, res: ServerResponse) => void,
  );
  h1.keepAliveTimeout = 65_000;
  // Node starts the headers/request timeout checks when a server emits "listening"; this one is
  // handed sockets and never listens, so without this slow clients were never timed out.
  h1.emit("listening");
  const h2 = createHttp2Server(
    { settings: { maxConcurrentStreams: limits.maxConcurrentStreams ?? 256 } },
    handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A connection that never sends its first bytes would be held open forever (neither server
    // has seen it yet, so their timeouts do not apply).
    socket.setTimeout(headersTimeoutMs, () => socket.destroy());
    socket.once("data", (head: Buffer) => {
      socket.setTimeout(0);
      // "PRI " never starts an HTTP/1.1 request line; 4 bytes always arrive in the first chunk.
      const n = Math.min(head.length, HTTP2_PREFACE.length);
      const isHttp2 = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      socket.pause();
      socket.unshift(head);
      if (isHttp2) {
        // The socket itself, not a JS stream over it: Http2Session first drains what is buffered
        // on the socket (the unshifted preface), then reads the native handle. A replaying Duplex
        // here cost 25-35 % of gRPC throughput (every frame crossed a JS stream both ways).
        socket.setNoDelay(true);
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        h1.closeIdleConnections();
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 2_000).unref();
        h2.close();
        h1.close(() => undefined); // stops the timeout checks
      }),
  };
}
