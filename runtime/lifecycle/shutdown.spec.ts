import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { installShutdown } from "./shutdown.js";

/** A pino logger writing JSON lines into an array, so the spec can read what shutdown logged. */
function memoryLogger() {
  const lines: { msg: string; step?: string }[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe("installShutdown", () => {
  it("bounds each cleanup step: a hung step is logged and the next steps still run", async () => {
    const { log, lines } = memoryLogger();
    const exits: number[] = [];
    const shutdown = installShutdown(log, {
      signals: [],
      stepTimeoutMs: 50,
      lingerExitMs: 10_000,
      exit: (c) => exits.push(c),
    });
    const ran: string[] = [];
    shutdown.onShutdown("postgres", () => {
      ran.push("postgres");
    });
    // A kafkajs client that never finishes its disconnect after a broker outage.
    shutdown.onShutdown("producer", () => new Promise<void>(() => undefined));
    shutdown.onShutdown("loop", () => {
      ran.push("loop");
    });
    await shutdown.trigger("SIGTERM");
    expect(ran).toEqual(["loop", "postgres"]);
    expect(shutdown.signal.aborted).toBe(true);
    expect(lines.find((l) => l.msg.startsWith("cleanup step timed out"))?.step).toBe("producer");
    expect(lines.at(-1)?.msg).toBe("shutdown complete");
    expect(exits).toEqual([]);
  });

  it("ends a process that open handles keep alive after the last step, with its exit code", async () => {
    const { log, lines } = memoryLogger();
    const exits: number[] = [];
    const shutdown = installShutdown(log, { signals: [], lingerExitMs: 20, exit: (c) => exits.push(c) });
    // A reconnect timer of a closed client: referenced, so the process would never exit by itself.
    const handle = setInterval(() => undefined, 1_000);
    try {
      await shutdown.trigger("SIGTERM");
      await new Promise((r) => setTimeout(r, 100));
      expect(exits).toEqual([0]);
      expect(lines.some((l) => l.msg.startsWith("process still alive after shutdown"))).toBe(true);
    } finally {
      clearInterval(handle);
    }
  });

  it("exits with code 1 once the grace period is over", async () => {
    const { log } = memoryLogger();
    const exits: number[] = [];
    const shutdown = installShutdown(log, {
      signals: [],
      graceMs: 30,
      stepTimeoutMs: 1_000,
      exit: (c) => exits.push(c),
    });
    shutdown.onShutdown("hung", () => new Promise<void>(() => undefined));
    void shutdown.trigger("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    expect(exits).toEqual([1]);
  });
});
