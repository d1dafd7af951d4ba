import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { runDeliveryService } from "../../runtime/processor/delivery-service.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { usePostgres } from "../../runtime/state/resources.js";
import { DEFAULT_HTTP_PORT, readPostbackDeliveryConfig, SERVICE_NAME } from "./config.js";
import { startPendingGauges } from "./pending-gauges.js";
import { postbackHandler } from "./postback-handler.js";
import { postbackLedger } from "./postback-ledger.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["postbacks"],
  });
  const { log, shutdown, metrics } = platform;
  const config = readPostbackDeliveryConfig(platform.env);
  const { tuning } = config;
  const pool = await usePostgres(platform, migrationsDirBeside(import.meta.url));
  const handler = postbackHandler({
    requestTimeoutMs: tuning.requestTimeoutMs,
    excerptBytes: config.excerptBytes,
    signingKeys: config.signingKeys,
    maxConcurrent: tuning.maxConcurrent,
    outbound: config.outbound,
    metrics,
  });
  shutdown.onShutdown("http-agent", () => handler.close());
  shutdown.onShutdown("pending-gauges", startPendingGauges(pool, metrics, config.metricsIntervalMs, log));
  if (config.outbound.allowCidrs.length > 0) {
    log.warn({ allowCidrs: config.outbound.allowCidrs }, "outbound allow-list opens non-public ranges");
  }
  await runDeliveryService(platform, {
    topic: "postbacks",
    handler,
    ledger: postbackLedger(pool, tuning.groupId),
    tuning,
    schedule: config.schedule,
    details: { signingKeys: config.signingKeys.length, excerptBytes: config.excerptBytes },
  });
});
