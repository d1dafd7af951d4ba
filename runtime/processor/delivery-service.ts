import type { Message } from "@bufbuild/protobuf";
import type { DataTopicName } from "../catalog/catalog.js";
import type { EnvReader } from "../config/env-reader.js";
import type { Platform } from "../platform.js";
import type { DeliveryHandler, DeliveryLedger } from "./delivery.js";
import { deliveryTask } from "./delivery-task.js";
import type { RetrySchedule } from "./retry-schedule.js";
import { runTaskService } from "./task-service.js";

/** What every delivery processor tunes, read from `<PREFIX>_*` variables. */
export interface DeliveryTuning {
  /** <PREFIX>_GROUP_ID: consumer group and offsets owner. Default: the service name. */
  readonly groupId: string;
  /** <PREFIX>_FLUSH_INTERVAL_MS: how often outcomes, attempts and offsets are committed. Default 200. */
  readonly flushIntervalMs: number;
  /** <PREFIX>_REQUEST_TIMEOUT_MS: bound of one attempt. */
  readonly requestTimeoutMs: number;
  /** <PREFIX>_MAX_CONCURRENT: attempts in flight at once, all partitions. */
  readonly maxConcurrent: number;
  /** <PREFIX>_MAX_IN_FLIGHT: unfinished deliveries per partition before it pauses (memory bound). Default 10000. */
  readonly maxInFlightPerPartition: number;
  /** <PREFIX>_SESSION_TIMEOUT_MS: consumer session; a dead instance holds its partitions this long. Default 10000. */
  readonly sessionTimeoutMs: number;
}

export function deliveryTuningVars(prefix: string): string[] {
  return [
    "GROUP_ID",
    "FLUSH_INTERVAL_MS",
    "REQUEST_TIMEOUT_MS",
    "MAX_CONCURRENT",
    "MAX_IN_FLIGHT",
    "SESSION_TIMEOUT_MS",
  ].map((v) => `${prefix}_${v}`);
}

export function readDeliveryTuning(
  env: EnvReader,
  prefix: string,
  defaults: { readonly groupId: string; readonly requestTimeoutMs: number; readonly maxConcurrent: number },
): DeliveryTuning {
  return {
    groupId: env.string(`${prefix}_GROUP_ID`, defaults.groupId),
    flushIntervalMs: env.int(`${prefix}_FLUSH_INTERVAL_MS`, 200, { min: 1, max: 600_000 }),
    requestTimeoutMs: env.int(`${prefix}_REQUEST_TIMEOUT_MS`, defaults.requestTimeoutMs, { min: 1, max: 600_000 }),
    maxConcurrent: env.int(`${prefix}_MAX_CONCURRENT`, defaults.maxConcurrent, { min: 1, max: 100_000 }),
    maxInFlightPerPartition: env.int(`${prefix}_MAX_IN_FLIGHT`, 10_000, { min: 1, max: 1_000_000 }),
    sessionTimeoutMs: env.int(`${prefix}_SESSION_TIMEOUT_MS`, 10_000, { min: 6_000, max: 300_000 }),
  };
}

/**
 * Runs a delivery processor (side effects with retries) as a service on the partition-task core.
 * Deliveries commit on the interval (outcomes, attempt log and the in-order position), not per
 * record, so `flushEveryRecords` does not apply.
 */
export async function runDeliveryService<M extends Message>(
  platform: Platform,
  options: {
    readonly topic: DataTopicName;
    readonly handler: DeliveryHandler<M>;
    readonly ledger: DeliveryLedger<M>;
    readonly tuning: DeliveryTuning;
    readonly schedule: RetrySchedule;
    readonly details?: Record<string, unknown>;
  },
): Promise<void> {
  const { tuning } = options;
  await runTaskService(
    platform,
    () =>
      deliveryTask({
        handler: options.handler,
        ledger: options.ledger,
        physicalTopic: platform.topic(options.topic),
        schedule: options.schedule,
        maxConcurrent: tuning.maxConcurrent,
        maxInFlightPerPartition: tuning.maxInFlightPerPartition,
        signal: platform.shutdown.signal,
        log: platform.log,
        metrics: platform.metrics,
      }),
    {
      topic: options.topic,
      groupId: tuning.groupId,
      sessionTimeoutMs: tuning.sessionTimeoutMs,
      flushEveryRecords: Number.MAX_SAFE_INTEGER,
      flushIntervalMs: tuning.flushIntervalMs,
      tickIntervalMs: tuning.flushIntervalMs,
      details: { ...tuning, schedule: options.schedule, ...options.details },
    },
  );
}
