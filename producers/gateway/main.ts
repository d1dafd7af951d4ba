import { connectNodeAdapter } from "@connectrpc/connect-node";
import { NotificationService } from "../../gen/notifications/v1/notification_service_pb.js";
import { PingService } from "../../gen/ping/v1/ping_service_pb.js";
import { TransactionService } from "../../gen/transactions/v1/transaction_service_pb.js";
import { runMain } from "../../runtime/lifecycle/run-main.js";
import { handleOpsRoute } from "../../runtime/observability/ops-routes.js";
import { startOpsServer } from "../../runtime/observability/ops-server.js";
import { outboundPolicy, readOutboundConfig } from "../../runtime/outbound/outbound-config.js";
import { startPlatform } from "../../runtime/platform.js";
import { openPool } from "../../runtime/state/pg-pool.js";
import { connectRedis } from "../../runtime/state/redis-connection.js";
import { DEFAULT_HTTP_PORT, readGatewayConfig, SERVICE_NAME } from "./config.js";
import { listenDualProtocol } from "./dual-protocol-server.js";
import { handleJsonRoute, type JsonRoute } from "./json-route.js";
import { messageDoors } from "./message-doors.js";
import { notificationDoors } from "./notification-service.js";
import { PendingTransactionsReader } from "./pending-transactions-reader.js";
import { PingCountReader } from "./ping-count-reader.js";
import { pingServiceImpl } from "./ping-service.js";
import { postbackDoors } from "./postback-doors.js";
import { rpcMetrics } from "./rpc-metrics.js";
import { transactionServiceImpl } from "./transaction-service.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["pings", "transactions", "notifications", "messages", "postbacks"],
  });
  const { log, shutdown, config } = platform;
  const gatewayConfig = readGatewayConfig(platform.env);
  const producer = platform.kafka.createProducer();
  await producer.connect();
  const redis = connectRedis(config.redisUrl, { failFast: true });
  redis.on("error", () => undefined);
  redis.options.commandTimeout = gatewayConfig.redisCommandTimeoutMs;
  const pool = openPool(config.databaseUrl);
  // Plain-HTTP JSON endpoints (POST /event, POST /postback), served before the Connect router.
  const jsonRoutes: JsonRoute[] = [];
  const notifications = notificationDoors(platform, producer);
  jsonRoutes.push(notifications.eventRoute);
  const messages = messageDoors(platform, producer, pool);
  // Every URL a caller hands in (postbacks, callbacks) is checked against one outbound policy.
  const outbound = outboundPolicy(readOutboundConfig(platform.env));
  const postbacks = postbackDoors(platform, producer, outbound);
  jsonRoutes.push(postbacks.route);

  const connect = connectNodeAdapter({
    interceptors: [rpcMetrics(platform.metrics)],
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
        }),
      );
      router.service(
        TransactionService,
        transactionServiceImpl({
          producer,
          codec: platform.codec,
          transactionsTopic: platform.topic("transactions"),
          pending: new PendingTransactionsReader(
            redis,
            platform.kafka,
            platform.topic("transactions"),
            config.stateNamespace,
            gatewayConfig.listPendingWaitMs,
            log,
          ),
          config: gatewayConfig,
          outboundPolicy: outbound,
        }),
      );
    },
  });

  const server = await listenDualProtocol(
    (req, res) => {
      if (
        "writeHead" in res &&
        !("stream" in req) &&
        handleOpsRoute(req as never, res as never, platform.metrics, () => ({ ok: producer.connected }), {
          serveMetrics: gatewayConfig.metricsPort === null,
        })
      ) {
        return;
      }
      if (
        "writeHead" in res &&
        !("stream" in req) &&
        handleJsonRoute(jsonRoutes, req as never, res as never, shutdown.signal)
      ) {
        return;
      }
      connect(req, res);
    },
    config.httpPort,
    config.httpHost,
  );
  shutdown.onShutdown("producer", () => producer.disconnect());
  shutdown.onShutdown("redis", () => {
    redis.disconnect();
  });
  shutdown.onShutdown("postgres", () => pool.end());
  shutdown.onShutdown("http", () => server.close());
  if (gatewayConfig.metricsPort !== null) {
    // Metrics (and probes) on their own port, so the API port exposes no internals.
    const ops = await startOpsServer({
      host: config.httpHost,
      port: gatewayConfig.metricsPort,
      registry: platform.metrics,
      readiness: () => ({ ok: producer.connected }),
    });
    shutdown.onShutdown("metrics-http", () => ops.close());
  }
  log.info({ port: server.port }, "gateway listening (Connect, gRPC, gRPC-Web on one port)");
});
