export async function runReplay(processor: string, _from: string, _signal: AbortSignal): Promise<number> {
  throw new Error(`replay of ${processor} is not available yet`);
}
