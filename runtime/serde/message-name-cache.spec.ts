import { describe, expect, it } from "vitest";
import { topicCatalog } from "../catalog/catalog.js";
import { MessageNameCache } from "./message-name-cache.js";
import { messageIndexesOf, messageNameAt, protoSourceOf } from "./proto-source.js";

const nested = `syntax = "proto3"; package a.b; // message Fake {
  message Outer { message Inner { string x = 1; } message Second { message Deep {} } }
  /* message Hidden {} */ message Next { map<string, string> m = 1; oneof o { string s = 2; } }
  enum E { E_UNSPECIFIED = 0; } message Last {}`;
const noPackage = 'syntax = "proto3"; message Only { message Child {} }';

describe("MessageNameCache", () => {
  it("answers what messageNameAt answers, for nested and multiple messages", () => {
    const cache = new MessageNameCache();
    const paths = [[0], [0, 0], [0, 1], [0, 1, 0], [1], [2], [3], [0, 2], [0, 1, 1], [9, 0]];
    for (const indexes of paths) {
      expect(cache.nameAt(7, nested, indexes)).toBe(messageNameAt(nested, indexes));
      expect(cache.nameAt(8, noPackage, indexes)).toBe(messageNameAt(noPackage, indexes));
    }
    expect(cache.nameAt(7, nested, [0, 1, 0])).toBe("a.b.Outer.Second.Deep");
    expect(cache.nameAt(7, nested, [2])).toBe("a.b.Last");
    expect(cache.nameAt(7, nested, [3])).toBeUndefined();
    expect(cache.nameAt(8, noPackage, [0, 0])).toBe("Only.Child");
  });

  it("parses each schema id once, whatever the number of lookups", () => {
    const cache = new MessageNameCache();
    for (let i = 0; i < 1_000; i++) expect(cache.nameAt(42, nested, [0, 1])).toBe("a.b.Outer.Second");
    expect(cache.parses).toBe(1);
    cache.nameAt(43, noPackage, [0]);
    cache.nameAt(42, nested, [1]);
    expect(cache.parses).toBe(2);
  });

  it("keys on the schema id: a second id with other text gets its own parse", () => {
    const cache = new MessageNameCache();
    expect(cache.nameAt(1, nested, [0])).toBe("a.b.Outer");
    expect(cache.nameAt(2, noPackage, [0])).toBe("Only");
    expect(cache.nameAt(1, noPackage, [0])).toBe("a.b.Outer");
  });

  it("resolves every catalog type from its registered source text", () => {
    const cache = new MessageNameCache();
    topicCatalog.forEach((topic, id) => {
      if (topic.message === null) return;
      expect(cache.nameAt(id, protoSourceOf(topic.message), messageIndexesOf(topic.message))).toBe(
        topic.message.typeName,
      );
    });
  });
});
