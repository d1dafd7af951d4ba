import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
import { usePostgres } from "../../runtime/state/resources.js";
import { DEFAULT_FLUSH, DEFAULT_HTTP_PORT, ENV_PREFIX, SERVICE_NAME } from "./config.js";
import { NOTIFICATION_LOGGER, notificationLoggerProjection } from "./notification-projection.js";
import { insertNotifications } from "./notification-rows.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["notifications"],
  });
  const tuning = readProcessorTuning(platform, ENV_PREFIX, NOTIFICATION_LOGGER, DEFAULT_FLUSH);
  const pool = await usePostgres(platform, migrationsDirBeside(import.meta.url));
  // tributary_offsets comes from the shared migrations; the notifications table from this flow's.
  const store = new PgStateStore(pool, tuning.groupId, insertNotifications);
  await runProcessorService(platform, notificationLoggerProjection(platform.log), store, tuning);
});
