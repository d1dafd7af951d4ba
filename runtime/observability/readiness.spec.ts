import { describe, expect, it } from "vitest";
import { combineChecks, postgresCheck, redisCheck } from "./readiness.js";

describe("combineChecks", () => {
  it("is ready only when every component is ok, and names the failing ones", async () => {
    const check = combineChecks({
      kafka: async () => ({ ok: false, detail: "ECONNREFUSED" }),
      postgres: () => ({ ok: true }),
      redis: redisCheck({ status: "reconnecting" }),
    });
    const state = await check();
    expect(state.ok).toBe(false);
    expect(state.detail).toBe("kafka: ECONNREFUSED; redis: connection reconnecting");
    expect(state.components).toEqual({
      kafka: { ok: false, detail: "ECONNREFUSED" },
      postgres: { ok: true },
      redis: { ok: false, detail: "connection reconnecting" },
    });
    expect((await combineChecks({ a: () => ({ ok: true }) })()).ok).toBe(true);
  });

  it("counts a check that throws or hangs as failing, within ~1.5 s", async () => {
    const started = Date.now();
    const state = await combineChecks({
      throws: () => {
        throw new Error("boom");
      },
      hangs: () => new Promise(() => undefined),
    })();
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(state.components).toEqual({
      throws: { ok: false, detail: "boom" },
      hangs: { ok: false, detail: "no answer within 1500 ms" },
    });
  });

  it("postgresCheck reuses one query result within its cache window", async () => {
    let queries = 0;
    const check = postgresCheck(
      {
        query: async () => {
          queries++;
          throw new Error("connection refused");
        },
      },
      60_000,
    );
    expect(await check()).toEqual({ ok: false, detail: "connection refused" });
    await check();
    expect(queries).toBe(1);
  });
});
