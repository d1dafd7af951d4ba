import { runMain } from "../../runtime/lifecycle/run-main.js";
import { startPlatform } from "../../runtime/platform.js";
import { readProcessorTuning, runProcessorService } from "../../runtime/processor/processor-service.js";
import { migrationsDirBeside } from "../../runtime/state/pg-pool.js";
import { PgStateStore } from "../../runtime/state/pg-state-store.js";
import { usePostgres } from "../../runtime/state/resources.js";
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
  const pool = await usePostgres(platform, migrationsDirBeside(import.meta.url));
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
