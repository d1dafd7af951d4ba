import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Counter, Gauge } from "prom-client";
import { isTopicName } from "../runtime/catalog/catalog.js";
import { errorMessage, TributaryError } from "../runtime/errors.js";
import { type HealthCheck, handleOpsRoute } from "../runtime/observability/ops-routes.js";
import { type ConsoleApp, HttpError } from "./console-app.js";
import { LiveHub, sendEvent } from "./live-hub.js";
import { recordRow } from "./pages/record-rows.js";
import { recordView } from "./record-view.js";
import { StaticFiles } from "./static-files.js";
import { followTopic } from "./topic-reader.js";

/** Largest redrive request body. */
const MAX_BODY_BYTES = 4_096;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

function tokenMatches(expected: string, given: unknown): boolean {
  if (expected === "" || typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The console's HTTP server: pages, their event streams, JSON, static files, ops routes. */
export async function startConsoleServer(
  app: ConsoleApp,
  readiness: HealthCheck,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const { platform, config } = app;
  const log = platform.log.child({ component: "console-http" });
  const hub = new LiveHub(config.refreshIntervalMs, log);
  const files = new StaticFiles();
  const follows = new Set<AbortController>();
  new Gauge({
    name: "tributary_console_event_streams",
    help: "Open server-sent event streams (open console pages)",
    registers: [platform.metrics],
    collect() {
      this.set(hub.streams + follows.size);
    },
  });
  const redrives = new Counter({
    name: "tributary_console_redrives_total",
    help: "Dead letters redriven from the console, by outcome",
    labelNames: ["outcome"],
    registers: [platform.metrics],
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://console");
    const path = url.pathname;
    if (path.startsWith("/static/") && req.method === "GET") {
      const file = await files.get(path.slice("/static/".length));
      if (file === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": file.type, "cache-control": "public, max-age=300" }).end(file.body);
      return;
    }
    if (path === "/favicon.ico") return void res.writeHead(204).end();
    if (path === "/events" && req.method === "GET") return events(url.searchParams, res);
    if (path === "/api/redrive" && req.method === "POST") return redrive(req, res);
    if (path.startsWith("/api/") && req.method === "GET") {
      const pagePath = path === "/api/overview" ? "/" : `/${path.slice("/api/".length)}`;
      const view = await app.view(pagePath, url.searchParams);
      return sendJson(res, 200, view.data);
    }
    if (req.method !== "GET") return void res.writeHead(405, { allow: "GET" }).end();
    const view = await app.view(path, url.searchParams);
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
      .end(app.render(view));
  };

  const events = (params: URLSearchParams, res: ServerResponse): void => {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`retry: ${Math.max(1_000, config.refreshIntervalMs)}\n\n`);
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    res.on("close", () => clearInterval(keepAlive));
    const key = [...params]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    hub.subscribe(key, res, () => app.liveSections(params));
    if (params.get("page") === "browse" && params.get("follow") === "1") follow(params, res);
  };

  /** Follow mode: one consumer per open page, rows pushed as they arrive. */
  const follow = (params: URLSearchParams, res: ServerResponse): void => {
    const topic = params.get("topic") ?? "";
    if (!isTopicName(topic)) return;
    const partition = params.get("partition");
    const key = params.get("key") ?? "";
    const starts = new Map<number, number>();
    for (const item of (params.get("since") ?? "").split(",")) {
      const [p, o] = item.split(":").map(Number);
      if (p !== undefined && o !== undefined && Number.isInteger(p) && Number.isInteger(o)) {
        if (partition === null || partition === "" || Number(partition) === p) starts.set(p, o);
      }
    }
    const controller = new AbortController();
    follows.add(controller);
    res.on("close", () => {
      controller.abort();
      follows.delete(controller);
    });
    const physical = platform.topic(topic);
    followTopic(
      platform.kafka,
      physical,
      starts,
      (records) => {
        void Promise.all(records.map((r) => recordView(platform.codec, platform.config.topicPrefix, topic, r))).then(
          (views) => {
            const rows = views
              .filter((v) => key === "" || (v.key ?? "").includes(key))
              .reverse()
              .map((v) => recordRow(topic.endsWith(".dlq") ? { ...v, redriven: null } : v, app.redriveEnabled).text);
            if (rows.length > 0 && !controller.signal.aborted) sendEvent(res, { prepend: rows.join("") });
          },
        );
      },
      controller.signal,
    ).catch((err: unknown) => {
      if (!controller.signal.aborted)
        sendEvent(res, { error: `follow stopped: ${errorMessage(err)}` }, "console-error");
    });
  };

  const redrive = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!app.redriveEnabled)
      return sendJson(res, 403, {
        code: "permission_denied",
        message: "redrive is off: CONSOLE_REDRIVE_TOKEN is not set",
      });
    let body: { topic?: unknown; partition?: unknown; offset?: unknown; token?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (err) {
      return sendJson(res, err instanceof HttpError ? err.status : 400, {
        code: "invalid_argument",
        message: `bad request body: ${errorMessage(err)}`,
      });
    }
    if (!tokenMatches(config.redriveToken, body.token)) {
      redrives.inc({ outcome: "refused" });
      log.warn({ topic: body.topic }, "redrive refused: wrong token");
      return sendJson(res, 403, { code: "permission_denied", message: "wrong redrive token", field: "token" });
    }
    if (typeof body.topic !== "string" || !Number.isInteger(body.partition) || !Number.isInteger(body.offset)) {
      return sendJson(res, 400, {
        code: "invalid_argument",
        message: "topic (string), partition and offset (integers) are required",
      });
    }
    try {
      const mark = await app.redrive(body.topic, body.partition as number, body.offset as number);
      redrives.inc({ outcome: "redriven" });
      log.info({ topic: body.topic, partition: body.partition, offset: body.offset, to: mark }, "dead letter redriven");
      sendJson(res, 200, mark);
    } catch (err) {
      redrives.inc({ outcome: "failed" });
      const status =
        err instanceof TributaryError
          ? err.code === "not_found"
            ? 404
            : err.code === "invalid_argument"
              ? 409
              : 503
          : 500;
      sendJson(res, status, {
        code: err instanceof TributaryError ? err.code : "internal",
        message: errorMessage(err),
      });
    }
  };

  const server = createServer((req, res) => {
    if (handleOpsRoute(req, res, platform.metrics, readiness)) return;
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status >= 500) log.error({ err: errorMessage(err), url: req.url }, "request failed");
      if (!res.headersSent) res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      res.end(errorMessage(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(platform.config.httpPort, platform.config.httpHost, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : platform.config.httpPort;
  return {
    server,
    port,
    close: async () => {
      hub.close();
      for (const c of follows) c.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
