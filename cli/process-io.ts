/** Process-level inputs the commands share: stdin as text, and SIGINT/SIGTERM as an AbortSignal. */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => controller.abort());
  return controller.signal;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
