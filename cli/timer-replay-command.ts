import type { Redis } from "ioredis";
import { TRANSACTION_TIMER, transactionTimerKeys } from "../processors/transaction-timer/index.js";
import { ProgressBar } from "../runtime/replay/progress-bar.js";
import { connectRedis } from "../runtime/state/redis-connection.js";
import { offsetField } from "../runtime/state/redis-state-store.js";
import { cliContext } from "./cli-context.js";

/** `tributary replay transaction-timer`: not a projection, so it has its own replay (below). */
export const TIMER_REPLAY_TARGET = TRANSACTION_TIMER;

/** How long the requested start is kept for the live timer's rebuild to read. */
const REBUILD_FROM_TTL_S = 3_600;
/** Longest wait for a rebuild already under way to commit before the reset (no timer running: none). */
const IN_FLIGHT_REBUILD_WAIT_MS = 60_000;
/** Give up waiting for the live timer after this long (the reset stays; the timer rebuilds anyway). */
const WAIT_MAX_MS = 30 * 60_000;

/**
 * The timer's replay is the live timer's bounded rebuild, asked for: timers fire on the live
 * instance only, so a second copy of the state built beside it could not take over the firings
 * in flight. Instead this drops the timer's state and offsets in one MULTI and records the
 * requested start (`--from`); the live timer's next commit (within a second, even when idle)
 * finds its offsets gone and rebuilds from min(--from, now − max timeout − lateness − skew),
 * skipping timeouts already in `transactions.timeouts`. This waits until it has caught up with
 * the end offsets read now; ListPending answers caught_up=false meanwhile.
 */
export async function timerReplayCommand(from: string, signal: AbortSignal): Promise<number> {
  const ctx = cliContext();
  const fromMs = from === "earliest" ? 0 : Date.parse(from);
  const keys = transactionTimerKeys(ctx.config.stateNamespace);
  const topic = `${ctx.config.topicPrefix}transactions`;
  let redis: Redis | undefined;
  try {
    if (Number.isNaN(fromMs)) throw new Error(`--from must be "earliest" or an ISO-8601 time, got "${from}"`);
    redis = connectRedis(ctx.config.redisUrl);
    const ns = ctx.config.stateNamespace;
    const ends = (await ctx.kafka.partitionOffsets(topic)).filter((e) => e.high > e.low);
    const startAt = await ctx.kafka.offsetsForTimestamp(topic, fromMs);
    const fields = ends.map((e) => offsetField(topic, e.partition));
    // The request first, the reset after: a rebuild the live timer planned before the request
    // (its state was lost, e.g. FLUSHALL just before this replay) read no `rebuild-from` and
    // starts later than --from. Its first commit expects no stored offsets, so a reset landing
    // before that commit would not stop it; waiting until every partition has stored offsets
    // again lets it commit first, and the reset below then sends it back to plan with --from.
    await redis.set(keys.rebuildFrom, String(fromMs), "EX", REBUILD_FROM_TTL_S);
    await waitForStoredOffsets(redis, keys.offsets, fields, signal);
    const stateKeys = [
      ...(await scanKeys(redis, `${ns}txn:pending:*`)),
      ...(await scanKeys(redis, `${ns}txn:deadlines:*`)),
      ...(await scanKeys(redis, `${ns}txn:client:*`)),
    ];
    await redis
      .multi()
      .del(keys.offsets, keys.watermarks, ...stateKeys)
      .set(keys.rebuildFrom, String(fromMs), "EX", REBUILD_FROM_TTL_S)
      .exec();
    const total = ends.reduce((n, e) => n + Math.max(0, e.high - (startAt.get(e.partition) ?? e.low)), 0);
    const progress = new ProgressBar(`replay ${TRANSACTION_TIMER}`);
    const deadline = Date.now() + WAIT_MAX_MS;
    let done = 0;
    for (;;) {
      const stored = fields.length === 0 ? [] : await redis.hmget(keys.offsets, ...fields);
      done = ends.reduce((n, e, i) => {
        const at = stored[i] == null ? (startAt.get(e.partition) ?? e.low) : Number(stored[i]);
        return n + Math.max(0, Math.min(at, e.high) - (startAt.get(e.partition) ?? e.low));
      }, 0);
      const caughtUp = ends.every((e, i) => stored[i] != null && Number(stored[i]) >= e.high);
      progress.update(done, total);
      if (caughtUp) break;
      if (signal.aborted || Date.now() >= deadline) {
        progress.finish(done, total, "stopped waiting; the live timer keeps rebuilding");
        process.stdout.write(`${JSON.stringify({ records: done, rebuiltFromMs: fromMs, caughtUp: false })}\n`);
        return 130;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await redis.del(keys.rebuildFrom);
    progress.finish(done, total, `replay done: ${TRANSACTION_TIMER} rebuilt from ${from}, caught up`);
    process.stdout.write(`${JSON.stringify({ records: done, rebuiltFromMs: fromMs, caughtUp: true })}\n`);
    return 0;
  } finally {
    redis?.disconnect();
    await ctx.close();
  }
}

/** Until every field is stored (the timer committed each partition), bounded; true when they all are. */
async function waitForStoredOffsets(
  redis: Redis,
  offsetsKey: string,
  fields: readonly string[],
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + IN_FLIGHT_REBUILD_WAIT_MS;
  while (fields.length > 0) {
    const stored = await redis.hmget(offsetsKey, ...fields);
    if (stored.every((v) => v !== null)) return true;
    if (signal.aborted || Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}
