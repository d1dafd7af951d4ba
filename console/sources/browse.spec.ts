import { describe, expect, it } from "vitest";
import { parseBrowseQuery } from "./browse.js";

describe("parseBrowseQuery", () => {
  it("reads partition, offset, time (UTC without a zone), key, limit and follow", () => {
    const q = parseBrowseQuery(
      "pings",
      new URLSearchParams("partition=2&offset=10&from=2024-10-14T17:00&key=abc&limit=20&follow=1"),
      200,
    );
    expect(q).toEqual({
      topic: "pings",
      partition: 2,
      offset: 10,
      fromMs: Date.parse("2024-10-14T17:00Z"),
      key: "abc",
      limit: 20,
      follow: true,
    });
  });

  it("defaults to the latest 50 of every partition and caps the limit", () => {
    const q = parseBrowseQuery("pings.dlq", new URLSearchParams("partition=&limit=9999"), 200);
    expect(q).toMatchObject({ partition: null, offset: null, fromMs: null, key: "", limit: 200, follow: false });
    expect(parseBrowseQuery("pings", new URLSearchParams(""), 200).limit).toBe(50);
  });

  it("refuses a topic outside the catalog", () => {
    expect(() => parseBrowseQuery("pingz", new URLSearchParams(""), 200)).toThrow(/not in the catalog/);
  });
});
