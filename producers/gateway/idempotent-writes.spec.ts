import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../runtime/errors.js";
import { IdempotentWrites, jsonResultCodec } from "./idempotent-writes.js";

const jsonCodecForTest = <T>() => jsonResultCodec<T>();

/** A Dragonfly stand-in with GET and SET ... PX NX only; `down` makes every call fail. */
class FakeRedis {
  readonly values = new Map<string, { value: string; ttlMs: number }>();
  down = false;
  async get(key: string): Promise<string | null> {
    if (this.down) throw new Error("connect ECONNREFUSED");
    return this.values.get(key)?.value ?? null;
  }
  async set(key: string, value: string, _px: "PX", ttlMs: number, _nx: "NX"): Promise<"OK" | null> {
    if (this.down) throw new Error("connect ECONNREFUSED");
    if (this.values.has(key)) return null;
    this.values.set(key, { value, ttlMs });
    return "OK";
  }
}

const scope = { tenant: "", method: "ping.v1.PingService/Ping", key: "k-1" };

function setUp() {
  const redis = new FakeRedis();
  const warnings: string[] = [];
  const writes = new IdempotentWrites(redis as unknown as Redis, {
    namespace: "t:",
    windowMs: 60_000,
    log: { warn: (_o: unknown, msg?: string) => warnings.push(String(msg)) } as never,
  });
  let n = 0;
  const write = async () => {
    n += 1;
    await new Promise((r) => setTimeout(r, 5));
    return { answer: n };
  };
  return { redis, writes, write, warnings, calls: () => n };
}

describe("IdempotentWrites", () => {
  it("writes once and answers the first result to a repeat, cached for the window", async () => {
    const { redis, writes, write, calls } = setUp();
    const first = await writes.run(scope, "fp", jsonCodecForTest(), write);
    const again = await writes.run(scope, "fp", jsonCodecForTest(), write);
    expect([first, again, calls()]).toEqual([{ answer: 1 }, { answer: 1 }, 1]);
    const [entry] = [...redis.values.values()];
    expect(entry?.ttlMs).toBe(60_000);
    expect([...redis.values.keys()][0]).toMatch(/^t:tributary:idempotency:ping\.v1\.PingService\/Ping:/);
  });

  it("answers a concurrent duplicate with the first's result, writing once", async () => {
    const { writes, write, calls } = setUp();
    const both = await Promise.all([
      writes.run(scope, "fp", jsonCodecForTest(), write),
      writes.run(scope, "fp", jsonCodecForTest(), write),
    ]);
    expect(both).toEqual([{ answer: 1 }, { answer: 1 }]);
    expect(calls()).toBe(1);
  });

  it("keeps keys of other tenants and methods apart", async () => {
    const { writes, write, calls } = setUp();
    await writes.run(scope, "fp", jsonCodecForTest(), write);
    await writes.run({ ...scope, tenant: "b" }, "fp", jsonCodecForTest(), write);
    await writes.run({ ...scope, method: "x/Y" }, "fp", jsonCodecForTest(), write);
    expect(calls()).toBe(3);
  });

  it("refuses a key reused for another request, naming Idempotency-Key", async () => {
    const { writes, write } = setUp();
    await writes.run(scope, "fp-1", jsonCodecForTest(), write);
    const err = await writes.run(scope, "fp-2", jsonCodecForTest(), write).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).field).toBe("Idempotency-Key");
  });

  it("does not cache a failed write: the retry writes again", async () => {
    const { writes, calls } = setUp();
    let n = 0;
    const flaky = async () => {
      n += 1;
      if (n === 1) throw new TributaryError("unavailable", "broker down", { canRetry: true });
      return { answer: n };
    };
    await expect(writes.run(scope, "fp", jsonCodecForTest(), flaky)).rejects.toThrow("broker down");
    expect(await writes.run(scope, "fp", jsonCodecForTest(), flaky)).toEqual({ answer: 2 });
    expect(calls()).toBe(0);
  });

  it("writes without the cache when Dragonfly is down (consumers deduplicate), with a warning", async () => {
    const { redis, writes, write, warnings } = setUp();
    redis.down = true;
    expect(await writes.run(scope, "fp", jsonCodecForTest(), write)).toEqual({ answer: 1 });
    expect(warnings.length).toBe(2);
  });
});
