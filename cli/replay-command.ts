import { replayTargets } from "../processors/replay-targets.js";
import { runReplay } from "../runtime/replay/run-replay.js";
import { connectRedis } from "../runtime/state/redis-connection.js";
import { cliContext } from "./cli-context.js";

/** `replay <processor> --from earliest|<ISO time>`. */
export async function replayCommand(processor: string | undefined, from: string, signal: AbortSignal): Promise<number> {
  const target = processor === undefined ? undefined : replayTargets[processor];
  if (target === undefined) {
    throw new Error(`replay needs one of: ${Object.keys(replayTargets).join(", ")} (got ${processor ?? "nothing"})`);
  }
  const ctx = cliContext();
  const redis = connectRedis(ctx.config.redisUrl);
  try {
    const result = await runReplay({
      target,
      kafka: ctx.kafka,
      codec: ctx.codec,
      redis,
      log: ctx.log,
      topicPrefix: ctx.config.topicPrefix,
      liveNamespace: ctx.config.stateNamespace,
      from,
      signal,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.switched ? 0 : 130;
  } finally {
    redis.disconnect();
    await ctx.close();
  }
}
