/** Polls `probe` until it returns true; fails with `describe()` after the timeout. */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number; describe: () => Promise<string> | string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms: ${await options.describe()}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
