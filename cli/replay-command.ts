/** `replay <processor> --from earliest|<ISO time>`; implemented in ../runtime/replay. */
export async function replayCommand(processor: string | undefined, from: string, signal: AbortSignal): Promise<number> {
  const { runReplay } = await import("../runtime/replay/run-replay.js");
  if (processor === undefined) throw new Error("replay needs a processor name (ping-counter)");
  return runReplay(processor, from, signal);
}
