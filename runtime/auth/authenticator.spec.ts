import { describe, expect, it } from "vitest";
import { generateApiKey, hashSecret } from "./api-key.js";
import { Authenticator, requireOwnClient } from "./authenticator.js";
import type { ApiKeyRecord } from "./key-store.js";

function setUp(overrides: Partial<ApiKeyRecord> = {}) {
  const key = generateApiKey();
  let record: ApiKeyRecord = {
    keyId: key.keyId,
    clientId: "client-a",
    scopes: ["txn:read"],
    secretSha256: hashSecret(key.secret),
    ratePerSecond: 10,
    burst: 2,
    createdAt: new Date(0),
    revokedAt: null,
    ...overrides,
  };
  let nowMs = 1_000;
  let lookups = 0;
  let allowed = true;
  const authenticator = new Authenticator({
    findKey: async (id) => {
      lookups++;
      return id === record.keyId ? record : null;
    },
    takeToken: async () => ({ allowed, retryAfterMs: allowed ? 0 : 1_500 }),
    cacheTtlMs: 5_000,
    now: () => nowMs,
  });
  return {
    header: `Bearer ${key.token}`,
    authenticator,
    revoke: () => {
      record = { ...record, revokedAt: new Date() };
    },
    advance: (ms: number) => {
      nowMs += ms;
    },
    lookups: () => lookups,
    limit: () => {
      allowed = false;
    },
  };
}

describe("Authenticator", () => {
  it("returns the key's client and scopes", async () => {
    const s = setUp();
    const principal = await s.authenticator.authorize(s.header, "txn:read");
    expect(principal.clientId).toBe("client-a");
    expect([...principal.scopes]).toEqual(["txn:read"]);
  });

  it.each([
    [undefined, /API key is required/],
    ["Bearer nope", /malformed API key/],
    [`Bearer ${generateApiKey().token}`, /unknown API key/],
  ])("%j → unauthenticated", async (header, message) => {
    const s = setUp();
    await expect(s.authenticator.authorize(header, "txn:read")).rejects.toMatchObject({
      code: "unauthenticated",
      message: expect.stringMatching(message),
    });
  });

  it("refuses the right key id with a wrong secret", async () => {
    const s = setUp();
    const forged = `${s.header.slice(0, -43)}${"A".repeat(43)}`;
    await expect(s.authenticator.authorize(forged, "txn:read")).rejects.toMatchObject({ code: "unauthenticated" });
  });

  it("refuses a missing scope with permission_denied naming it", async () => {
    const s = setUp();
    await expect(s.authenticator.authorize(s.header, "txn:write")).rejects.toMatchObject({
      code: "permission_denied",
      message: expect.stringMatching(/lacks scope txn:write/),
    });
  });

  it("caches the key for the TTL: a revocation takes effect once it expired", async () => {
    const s = setUp();
    await s.authenticator.authorize(s.header, "txn:read");
    s.revoke();
    s.advance(4_999);
    await s.authenticator.authorize(s.header, "txn:read");
    expect(s.lookups()).toBe(1);
    s.advance(2);
    await expect(s.authenticator.authorize(s.header, "txn:read")).rejects.toMatchObject({
      code: "unauthenticated",
      message: expect.stringMatching(/revoked/),
    });
    expect(s.lookups()).toBe(2);
  });

  it("a refused rate is resource_exhausted with retryAfterMs", async () => {
    const s = setUp();
    s.limit();
    await expect(s.authenticator.authorize(s.header, "txn:read")).rejects.toMatchObject({
      code: "resource_exhausted",
      retryAfterMs: 1_500,
    });
  });
});

describe("requireOwnClient", () => {
  const principal = { keyId: "k", clientId: "a", scopes: new Set<never>() };
  it("passes the own client and AUTH_MODE=off (no principal)", () => {
    expect(() => requireOwnClient(principal, "client_id", "a")).not.toThrow();
    expect(() => requireOwnClient(undefined, "client_id", "b")).not.toThrow();
  });
  it("refuses another client naming the field", () => {
    expect(() => requireOwnClient(principal, "client_id", "b")).toThrow(
      expect.objectContaining({ code: "permission_denied", field: "client_id" }),
    );
  });
});
