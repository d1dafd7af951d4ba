import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { migrate } from "../../runtime/state/migrations.js";
import { migrationsDir, migrationsDirBeside, openPool } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
import { DEFAULT_HTTP_PORT, ENV_PREFIX, readCleanIntervalMs, readRetentionMs, SERVICE_NAME } from "./config.js";
import { applyMessageOps, MESSAGES_SINK, type MessageOp, messagesSinkProjection } from "./messages-sink.js";
import { startPeriodicClean } from "./periodic-clean.js";

runMain(SERVICE_NAME, async () => {
  const platform = await startPlatform({
    serviceName: SERVICE_NAME,
    defaultHttpPort: DEFAULT_HTTP_PORT,
    topics: ["messages"],
  });
  const retentionMs = readRetentionMs(platform.env);
  const cleanIntervalMs = readCleanIntervalMs(platform.env);
  // A short flush interval: GetBatch waits for the projection (read-your-writes). Not shorter:
  // ticks (a quarter of it) each read the end offsets under the runner's mutex, and at 50 ms
  // they queued up behind slow admin calls on a loaded machine and starved the batches.
  const tuning = readProcessorTuning(platform, ENV_PREFIX, MESSAGES_SINK, {
    flushEveryRecords: 2000,
    flushIntervalMs: 250,
  });
  const pool = openPool(platform.config.databaseUrl);
  platform.shutdown.onShutdown("postgres", () => pool.end());
  await migrate(pool, migrationsDir(), platform.log);
  await migrate(pool, migrationsDirBeside(import.meta.url), platform.log);
  const producer = platform.kafka.createProducer();
  await producer.connect();
  platform.shutdown.onShutdown("clean-producer", () => producer.disconnect());
  startPeriodicClean(
    { kafka: platform.kafka, producer, codec: platform.codec, topic: platform.topic("messages") },
    { retentionMs, intervalMs: cleanIntervalMs, log: platform.log },
    platform.shutdown.signal,
  );
  const store = new PgStateStore<MessageOp[]>(pool, tuning.groupId, applyMessageOps);
  await runProcessorService(platform, messagesSinkProjection, store, tuning);
});
