import type { DescService } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { NotificationService } from "../../gen/notifications/v1/notification_service_pb.js";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { runMain } from "../../runtime/lifecycle/run-main.js";
import { handleOpsRoute } from "../../runtime/observability/ops-routes.js";
import { startOpsServer } from "../../runtime/observability/ops-server.js";
import { combineChecks, kafkaCheck, postgresCheck, redisCheck } from "../../runtime/observability/readiness.js";
import { outboundPolicy, readOutboundConfig } from "../../runtime/outbound/outbound-config.js";
import { startPlatform } from "../../runtime/platform.js";
import { grpcDiscoveryHandler, servicesOf } from "../../runtime/rpc/grpc-discovery.js";
import { shareAbortReason } from "../../runtime/rpc/shared-abort-reason.js";
import { openPool } from "../../runtime/state/pg-pool.js";
import { connectRedis } from "../../runtime/state/redis-connection.js";
import { gatewayAuth } from "./auth-doors.js";
import { DEFAULT_HTTP_PORT, readGatewayConfig, SERVICE_NAME } from "./config.js";
import { listenDualProtocol } from "./dual-protocol-server.js";
import { IdempotentWrites } from "./idempotent-writes.js";
import { handleJsonRoute, type JsonRoute } from "./json-route.js";
import { messageDoors } from "./message-doors.js";
import { notificationDoors } from "./notification-service.js";
import { PendingTransactionsReader } from "./pending-transactions-reader.js";
import { PingBatchWriter } from "./ping-batch.js";
import { readPingBatchConfig } from "./ping-batch-config.js";
import { pingBatchDoors } from "./ping-batch-doors.js";
import { PingCountReader } from "./ping-count-reader.js";
import { pingServiceImpl } from "./ping-service.js";
import { postbackDoors } from "./postback-doors.js";
import { rpcMetrics } from "./rpc-metrics.js";
import { rpcTracing } from "./rpc-tracing.js";
import { transactionServiceImpl } from "./transaction-service.js";

/** Redis command timeout of ListPending's reads (the call's own deadline still applies). */
const LIST_PENDING_REDIS_TIMEOUT_MS = 5_000;

runMain(SERVICE_NAME, async () => {
  shareAbortReason();
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["pings", "transactions", "notifications", "messages", "postbacks"],
  });
  const { log, shutdown, config } = platform;
  const gatewayConfig = readGatewayConfig(platform.env);
  // Every write is bounded by the produce timeout (unavailable) and the caller's deadline.
  // Concurrent writes share produce requests, with a short linger (GATEWAY_PRODUCE_LINGER_MS).
  const pingBatchConfig = readPingBatchConfig(platform.env);
  const producer = platform.kafka.createProducer({
    sendTimeoutMs: gatewayConfig.produceTimeoutMs,
    lingerMs: pingBatchConfig.produceLingerMs,
  });
  await producer.connect();
  const redis = connectRedis(config.redisUrl, { failFast: true });
  redis.on("error", () => undefined);
  redis.options.commandTimeout = gatewayConfig.redisCommandTimeoutMs;
  // ListPending reads a client's whole index (10,000 pending: ≈ 10,000 fields) and a page of
  // values: its own connection, without PingCount's short timeout (made for a quick fallback).
  const pendingRedis = connectRedis(config.redisUrl, { failFast: true });
  pendingRedis.on("error", () => undefined);
  pendingRedis.options.commandTimeout = LIST_PENDING_REDIS_TIMEOUT_MS;
  const pool = openPool(config.databaseUrl);
  // AUTH_MODE: API keys on every door (Connect interceptor + plain-route hook), or off with a warning.
  const auth = await gatewayAuth(platform, pool, redis);
  // Idempotency-Key on every write: first answers cached here, records deduplicated downstream.
  const idempotent = new IdempotentWrites(redis, {
    namespace: config.stateNamespace,
    windowMs: gatewayConfig.idempotencyWindowMs,
    log,
  });
  // Plain-HTTP JSON endpoints (POST /event, POST /postback), served before the Connect router.
  const jsonRoutes: JsonRoute[] = [];
  const notifications = notificationDoors(platform, producer, idempotent);
  jsonRoutes.push(notifications.eventRoute);
  const messages = messageDoors(platform, producer, pool, idempotent);
  // Every URL a caller hands in (postbacks, callbacks) is checked against one outbound policy.
  const outbound = outboundPolicy(readOutboundConfig(platform.env));
  const postbacks = postbackDoors(platform, producer, outbound, idempotent);
  jsonRoutes.push(postbacks.route);
  // PingBatch, PingStream and POST /pings: many pings per round trip.
  const pingBatch = pingBatchDoors(
    new PingBatchWriter({
      producer,
      codec: platform.codec,
      pingsTopic: platform.topic("pings"),
      maxFutureMs: gatewayConfig.pingMaxFutureMs,
      maxItems: pingBatchConfig.maxItems,
    }),
  );
  jsonRoutes.push(pingBatch.route);

  // Readiness: the broker (writes) and Postgres (messages reads) must answer. Dragonfly is
  // reported but does not make the gateway unready: PingCount falls back to Postgres without it.
  const readinessChecks = combineChecks({ kafka: kafkaCheck(platform.kafka), postgres: postgresCheck(pool) });
  const readiness = async () => {
    const state = await readinessChecks();
    return { ...state, components: { ...state.components, redis: await redisCheck(redis)() } };
  };

  let apiServices: DescService[] = [];
  // One interceptor for both routers: prom-client refuses a metric registered twice.
  const metricsInterceptor = rpcMetrics(platform.metrics);
  const connect = connectNodeAdapter({
    interceptors: [rpcTracing(), metricsInterceptor, ...auth.interceptors],
    // A message larger than this is refused resource_exhausted before it is buffered whole.
    readMaxBytes: gatewayConfig.readMaxBytes,
    // An unknown JSON field is invalid_argument naming it, not silently dropped (a typo such as
    // "timestampMS" would otherwise be a ping dated 0 or a Start without its callback).
    jsonOptions: { ignoreUnknownFields: false },
    // grpc.health.v1 and grpc.reflection: a router of their own, without the API-key interceptor.
    fallback: (req, res) => discovery(req, res),
    routes: (router) => {
      router.service(NotificationService, notifications.service, notifications.handlerOptions);
      messages.register(router);
      postbacks.register(router);
      router.service(
        PingService,
        pingServiceImpl({
          producer,
          codec: platform.codec,
          pingsTopic: platform.topic("pings"),
          counts: new PingCountReader(redis, pool, log, config.stateNamespace, platform.metrics),
          config: gatewayConfig,
          idempotent,
        }),
      );
      router.service(
        TransactionService,
        transactionServiceImpl({
          producer,
          codec: platform.codec,
          transactionsTopic: platform.topic("transactions"),
          pending: new PendingTransactionsReader(
            pendingRedis,
            platform.kafka,
            platform.topic("transactions"),
            config.stateNamespace,
            gatewayConfig.listPendingWaitMs,
            log,
          ),
          config: gatewayConfig,
          outboundPolicy: outbound,
          idempotent,
        }),
      );
      // After PingService: its registration answers `unimplemented` for the methods it lacks.
      pingBatch.register(router);
      apiServices = servicesOf(router);
    },
  });
  // Health answers as /readyz does; grpcurl list/describe need no --schema (server reflection).
  const discovery = grpcDiscoveryHandler({
    services: apiServices,
    isServing: async () => producer.connected && (await readiness()).ok,
    signal: shutdown.signal,
    interceptors: [metricsInterceptor],
  });

  const server = await listenDualProtocol(
    (req, res) => {
      if (
        "writeHead" in res &&
        !("stream" in req) &&
        handleOpsRoute(req as never, res as never, platform.metrics, readiness, {
          serveMetrics: gatewayConfig.metricsPort === null,
        })
      ) {
        return;
      }
      if (
        "writeHead" in res &&
        !("stream" in req) &&
        handleJsonRoute(jsonRoutes, req as never, res as never, shutdown.signal, auth.authenticateJson)
      ) {
        return;
      }
      connect(req, res);
    },
    config.httpPort,
    config.httpHost,
    {
      headersTimeoutMs: gatewayConfig.headersTimeoutMs,
      requestTimeoutMs: gatewayConfig.requestTimeoutMs,
      maxConcurrentStreams: gatewayConfig.maxConcurrentStreams,
    },
  );
  shutdown.onShutdown("producer", () => producer.disconnect());
  shutdown.onShutdown("redis", () => {
    redis.disconnect();
    pendingRedis.disconnect();
  });
  shutdown.onShutdown("postgres", () => pool.end());
  shutdown.onShutdown("http", () => server.close());
  if (gatewayConfig.metricsPort !== null) {
    // Metrics (and probes) on their own port, so the API port exposes no internals.
    const ops = await startOpsServer({
      host: config.httpHost,
      port: gatewayConfig.metricsPort,
      registry: platform.metrics,
      readiness,
    });
    shutdown.onShutdown("metrics-http", () => ops.close());
  }
  log.info({ port: server.port }, "gateway listening (Connect, gRPC, gRPC-Web on one port)");
});
