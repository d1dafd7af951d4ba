import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../errors.js";
import { waitForRegistry } from "./wait-for-registry.js";

function memoryLogger() {
  const lines: { msg: string }[] = [];
  return { log: pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) }), lines };
}
const unreachable = () => new TributaryError("unavailable", "schema registry unreachable", { canRetry: true });

describe("waitForRegistry", () => {
  it("retries while the registry is unreachable, logging a waiting line per attempt", async () => {
    const { log, lines } = memoryLogger();
    let calls = 0;
    const id = await waitForRegistry(
      async () => {
        calls += 1;
        if (calls < 3) throw unreachable();
        return 7;
      },
      { log, signal: new AbortController().signal, retryIntervalMs: 5 },
    );
    expect(id).toBe(7);
    expect(lines.filter((l) => l.msg === "waiting for the schema registry before starting")).toHaveLength(2);
    expect(lines.at(-1)?.msg).toBe("schema registry is back");
  });

  it("fails at once on a final error (an incompatible schema)", async () => {
    const { log } = memoryLogger();
    const final = new TributaryError("schema_registry", "not BACKWARD-compatible");
    await expect(
      waitForRegistry(() => Promise.reject(final), { log, signal: new AbortController().signal, retryIntervalMs: 5 }),
    ).rejects.toBe(final);
  });

  it("stops waiting on shutdown", async () => {
    const { log } = memoryLogger();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(
      waitForRegistry(() => Promise.reject(unreachable()), { log, signal: controller.signal, retryIntervalMs: 1_000 }),
    ).rejects.toThrow("unreachable");
  });
});
