import { describe, expect, it } from "vitest";
import { bearerToken, formatApiKey, generateApiKey, hashSecret, parseApiKey, secretMatches } from "./api-key.js";

describe("API key format", () => {
  it("is trb_<12 hex key id>_<43 base64url chars of 32 random bytes>, and parses back", () => {
    const key = generateApiKey();
    expect(key.token).toMatch(/^trb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.secret, "base64url")).toHaveLength(32);
    expect(parseApiKey(key.token)).toEqual({ keyId: key.keyId, secret: key.secret });
  });

  it("is different every time", () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateApiKey().token));
    expect(tokens.size).toBe(200);
  });

  it.each([
    "",
    "trb_",
    "xyz_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "trb_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "trb_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "trb_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "trb_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "trb_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  ])("refuses the malformed key %j", (token) => {
    expect(parseApiKey(token)).toBeNull();
  });

  it("keeps a secret with _ and - intact (the separator is fixed by position)", () => {
    const secret = "_-".repeat(21) + "A";
    expect(parseApiKey(formatApiKey("0123456789ab", secret))).toEqual({ keyId: "0123456789ab", secret });
  });
});

describe("secret hashing", () => {
  it("stores SHA-256 (32 bytes) and matches only the same secret", () => {
    const { secret } = generateApiKey();
    const stored = hashSecret(secret);
    expect(stored).toHaveLength(32);
    expect(stored.toString("hex")).not.toContain(Buffer.from(secret).toString("hex"));
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(generateApiKey().secret, stored)).toBe(false);
    expect(secretMatches(secret, stored.subarray(0, 31))).toBe(false);
  });
});

describe("Authorization header", () => {
  it.each([
    ["Bearer trb_x", "trb_x"],
    ["bearer   trb_x  ", "trb_x"],
    ["Basic dXNlcjpwYXNz", null],
    ["Bearer", null],
    ["Bearer a b", null],
    [undefined, null],
    [null, null],
  ])("%j → %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
