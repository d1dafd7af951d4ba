import { runMain } from "../runtime/lifecycle/run-main.js";
import { combineChecks, kafkaCheck, postgresCheck, redisCheck } from "../runtime/observability/readiness.js";
import { startPlatform } from "../runtime/platform.js";
import { shareAbortReason } from "../runtime/rpc/shared-abort-reason.js";
import { openPool } from "../runtime/state/pg-pool.js";
import { connectRedis } from "../runtime/state/redis-connection.js";
import { DEFAULT_HTTP_PORT, readConsoleConfig, SERVICE_NAME } from "./config.js";
import { ConsoleApp } from "./console-app.js";
import { startConsoleServer } from "./console-server.js";

runMain(SERVICE_NAME, async () => {
  shareAbortReason();
  // The data topics: a redrive writes back to them (their DLQs come along).
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["pings", "transactions", "transactions.timeouts", "postbacks", "notifications", "messages"],
  });
  const config = readConsoleConfig(platform.env);
  // Read-only: no migrations; a missing table shows on its page as an error.
  const pool = openPool(platform.config.databaseUrl, 4);
  platform.shutdown.onShutdown("postgres", () => pool.end());
  // failFast: a Dragonfly outage answers at once (shown as down) instead of queueing reads.
  const redis = connectRedis(platform.config.redisUrl, { failFast: true });
  redis.on("error", () => undefined);
  platform.shutdown.onShutdown("redis", async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  const checks = combineChecks({
    kafka: kafkaCheck(platform.kafka),
    postgres: postgresCheck(pool),
    redis: redisCheck(redis),
  });
  // Ready while it serves pages: a dependency that is down is shown on the pages (and listed here),
  // and must not take the console out of the Service, since that is when it is needed.
  const readiness = async () => {
    const state = await checks();
    return {
      ok: true,
      detail: state.detail ?? "",
      ...(state.components === undefined ? {} : { components: state.components }),
    };
  };
  const app = new ConsoleApp(platform, redis, pool, config);
  const server = await startConsoleServer(app, readiness);
  platform.shutdown.onShutdown("http", () => server.close());
  platform.log.info(
    {
      port: server.port,
      refreshIntervalMs: config.refreshIntervalMs,
      redrive: app.redriveEnabled ? "on" : "off",
      gateway: app.gatewayUrl(),
    },
    "console listening",
  );
});
