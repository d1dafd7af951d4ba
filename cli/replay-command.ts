import type { Redis } from "ioredis";
import { runReplay } from "../runtime/replay/run-replay.js";
import { connectRedis } from "../runtime/state/redis-connection.js";
import { cliContext } from "./cli-context.js";
import { replayTarget, replayTargetNames } from "./replay-targets.js";
import { TIMER_REPLAY_TARGET, timerReplayCommand } from "./timer-replay-command.js";

/**
 * `replay <processor> --from earliest|<ISO time>`. The live processor's consumer group (whose
 * offsets a Postgres switch replaces) is read from the same variable the processor reads,
 * e.g. PINGS_SINK_GROUP_ID, defaulting to the processor name.
 */
export async function replayCommand(processor: string, from: string, signal: AbortSignal): Promise<number> {
  if (processor === TIMER_REPLAY_TARGET) return timerReplayCommand(from, signal);
  const ctx = cliContext();
  let redis: Redis | undefined;
  const target = replayTarget(processor, {
    redis: () => {
      redis ??= connectRedis(ctx.config.redisUrl);
      return redis;
    },
    liveNamespace: ctx.config.stateNamespace,
    databaseUrl: ctx.config.databaseUrl,
    log: ctx.log,
    groupOf: (name) => ctx.env.string(`${name.toUpperCase().replace(/-/g, "_")}_GROUP_ID`, name),
  });
  try {
    if (target === undefined) {
      throw new Error(`replay needs one of: ${replayTargetNames.join(", ")} (got ${processor})`);
    }
    const result = await runReplay({
      target,
      kafka: ctx.kafka,
      codec: ctx.codec,
      log: ctx.log,
      topicPrefix: ctx.config.topicPrefix,
      from,
      signal,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.switched ? 0 : 130;
  } finally {
    redis?.disconnect();
    await ctx.close();
  }
}
