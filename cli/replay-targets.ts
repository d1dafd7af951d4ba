import type { AnyReplayTarget } from "../runtime/replay/replay-target.js";
import { replayableServices } from "../services/registry.js";
import type { ReplayContext } from "../services/service-entry.js";
import { TIMER_REPLAY_TARGET } from "./timer-replay-command.js";

/**
 * Processors `tributary replay <name>` can rebuild: the registry's services with a replay target,
 * and the transaction timer (its own replay, cli/timer-replay-command.ts).
 */
export const replayTargetNames: readonly string[] = [...replayableServices().map((s) => s.name), TIMER_REPLAY_TARGET];

export function replayTarget(name: string, ctx: ReplayContext): AnyReplayTarget | undefined {
  return replayableServices()
    .find((s) => s.name === name)
    ?.replay(ctx);
}
