import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
import { usePostgres } from "../../runtime/state/resources.js";
import { DEFAULT_HTTP_PORT, ENV_PREFIX, SERVICE_NAME } from "./config.js";
import { insertPings, PINGS_SINK, pingsSinkProjection } from "./pings-sink.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["pings"],
  });
  const tuning = readProcessorTuning(platform, ENV_PREFIX, PINGS_SINK);
  const pool = await usePostgres(platform, migrationsDirBeside(import.meta.url));
  const store = new PgStateStore(pool, tuning.groupId, insertPings);
  await runProcessorService(platform, pingsSinkProjection, store, tuning);
});
