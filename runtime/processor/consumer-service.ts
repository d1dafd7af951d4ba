import { errorMessage } from "../errors.js";
import { startOpsServer } from "../observability/ops-server.js";
import { type ComponentCheck, combineChecks, kafkaCheck } from "../observability/readiness.js";
import type { Platform } from "../platform.js";

/**
 * Runs a consumer loop as a service: ops HTTP server (health, readiness, metrics), the loop until
 * SIGTERM, and a clean shutdown. A loop that fails ends the process with exit code 1, so the
 * supervisor (stack script, Kubernetes) restarts it and the stores' offsets decide where it resumes.
 */
export async function runConsumerService(
  platform: Platform,
  name: string,
  run: () => Promise<void>,
  isReady: () => boolean = () => true,
  details: Record<string, unknown> = {},
  /** Dependencies /readyz reports besides the broker (e.g. `redis`, `postgres`). */
  components: Readonly<Record<string, ComponentCheck>> = {},
): Promise<void> {
  const { log, shutdown, config } = platform;
  let consuming = false;
  const ops = await startOpsServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: platform.metrics,
    readiness: combineChecks({
      consumer: () => (consuming ? { ok: true } : { ok: false, detail: "joining consumer group" }),
      kafka: kafkaCheck(platform.kafka),
      store: () => (isReady() ? { ok: true } : { ok: false, detail: "store not connected" }),
      ...Object.fromEntries(platform.readiness),
      ...components,
    }),
  });
  shutdown.onShutdown("ops-server", () => ops.close());
  log.info({ port: ops.port, ...details }, `${name} started`);
  consuming = true;
  const loop = run();
  // Cleanups run in reverse order of registration: this one (registered after the caller's Redis,
  // Postgres and producer cleanups) lets the loop make its final commit before they close.
  shutdown.onShutdown(`${name}-loop`, () =>
    loop.then(
      () => undefined,
      () => undefined,
    ),
  );
  try {
    await loop;
  } catch (err) {
    log.error({ err: errorMessage(err) }, `${name} stopped on error`);
    await shutdown.trigger("fatal error");
    process.exitCode = 1;
    return;
  }
  await shutdown.trigger("consumer finished");
}
