import { describe, expect, it } from "vitest";
import { TributaryError } from "../../runtime/errors.js";
import { derivedId, MAX_IDEMPOTENCY_KEY_CHARS, parseIdempotencyKey } from "./idempotency-key.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function refusal(fn: () => unknown): { field: string | undefined; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof TributaryError && err.code === "invalid_argument")
      return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("accepted");
}

describe("parseIdempotencyKey", () => {
  it("is null without a header or field, and the key from either", () => {
    expect(parseIdempotencyKey(null)).toBeNull();
    expect(parseIdempotencyKey(undefined, { name: "idempotency_key", value: "" })).toBeNull();
    expect(parseIdempotencyKey("0f8c1a2e-7b1d-4e55-9a43-2f1e9d3c5b6a")).toBe("0f8c1a2e-7b1d-4e55-9a43-2f1e9d3c5b6a");
    expect(parseIdempotencyKey(null, { name: "idempotency_key", value: "order-17:try_1" })).toBe("order-17:try_1");
    expect(parseIdempotencyKey("a+b/c=", { name: "idempotency_key", value: "a+b/c=" })).toBe("a+b/c=");
  });

  it("refuses an empty, too long or oddly spelled key, naming the field", () => {
    expect(refusal(() => parseIdempotencyKey(""))).toEqual({
      field: "Idempotency-Key",
      message: "must not be empty when sent",
    });
    expect(refusal(() => parseIdempotencyKey("x".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1))).message).toContain(
      `at most ${MAX_IDEMPOTENCY_KEY_CHARS} characters`,
    );
    expect(parseIdempotencyKey("x".repeat(MAX_IDEMPOTENCY_KEY_CHARS))).toHaveLength(MAX_IDEMPOTENCY_KEY_CHARS);
    for (const bad of ["with space", "tab\t", "é", "a\nb", "semi;colon", '"quoted"']) {
      expect(refusal(() => parseIdempotencyKey(bad)).field).toBe("Idempotency-Key");
    }
    expect(refusal(() => parseIdempotencyKey(null, { name: "idempotency_key", value: "a b" })).field).toBe(
      "idempotency_key",
    );
  });

  it("refuses a field that differs from the header", () => {
    const r = refusal(() => parseIdempotencyKey("k1", { name: "idempotency_key", value: "k2" }));
    expect(r.field).toBe("idempotency_key");
    expect(r.message).toContain("k1");
  });
});

describe("derivedId", () => {
  const scope = { tenant: "client-a", method: "ping.v1.PingService/Ping", key: "k-1" };

  it("is a stable UUID per (tenant, method, key, part)", () => {
    expect(derivedId(scope)).toMatch(UUID);
    expect(derivedId(scope)).toBe(derivedId({ ...scope }));
    expect(derivedId(scope, "0")).toMatch(UUID);
  });

  it("differs when any part differs (two tenants' equal keys are two writes)", () => {
    const ids = new Set([
      derivedId(scope),
      derivedId({ ...scope, tenant: "client-b" }),
      derivedId({ ...scope, tenant: "" }),
      derivedId({ ...scope, method: "transactions.v1.TransactionService/Start" }),
      derivedId({ ...scope, key: "k-2" }),
      derivedId(scope, "0"),
      derivedId(scope, "1"),
      // The separator keeps ("a", "bc") and ("ab", "c") apart.
      derivedId({ ...scope, tenant: "a", key: "bc" }),
      derivedId({ ...scope, tenant: "ab", key: "c" }),
    ]);
    expect(ids.size).toBe(9);
  });
});
