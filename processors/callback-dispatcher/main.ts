import { runMain } from "../../runtime/lifecycle/run-main.js";
import { readOutboundConfig } from "../../runtime/outbound/outbound-config.js";
import { startPlatform } from "../../runtime/platform.js";
import { runDeliveryService } from "../../runtime/processor/delivery-service.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { usePostgres } from "../../runtime/state/resources.js";
import { CALLBACK_DISPATCHER, callbackHandler } from "./callback-handler.js";
import { callbackLedger } from "./callback-ledger.js";
import { DEFAULT_HTTP_PORT, readCallbackDispatcherConfig, SERVICE_NAME } from "./config.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["transactions.timeouts"],
  });
  const { tuning, schedule } = readCallbackDispatcherConfig(platform.env, CALLBACK_DISPATCHER);
  const pool = await usePostgres(platform, migrationsDirBeside(import.meta.url));
  const handler = callbackHandler({
    requestTimeoutMs: tuning.requestTimeoutMs,
    maxConnectionsPerOrigin: tuning.maxConcurrent,
    outbound: readOutboundConfig(platform.env),
    metrics: platform.metrics,
  });
  platform.shutdown.onShutdown("http-agent", () => handler.close());
  await runDeliveryService(platform, {
    topic: "transactions.timeouts",
    handler,
    ledger: callbackLedger(pool, tuning.groupId),
    tuning,
    schedule,
  });
});
