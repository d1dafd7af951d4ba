import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "./pending-transactions-reader.js";

describe("ListPending page tokens", () => {
  it("round-trips the last id of a page, for its client only", () => {
    const token = encodePageToken("client-7", "txn:0042/é");
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, "client-7")).toBe("txn:0042/é");
    expect(() => decodePageToken(token, "client-8")).toThrow(/page_token: belongs to another client_id/);
  });

  it("refuses what ListPending did not return", () => {
    for (const bad of ["x", "not-a-token", Buffer.from('{"v":2,"client":"c","after":"a"}').toString("base64url")]) {
      expect(() => decodePageToken(bad, "c")).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    }
  });
});
