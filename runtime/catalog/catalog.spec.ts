import { describe, expect, it } from "vitest";
import {
  deadLetterOf,
  isTopicName,
  lookupTopic,
  type TopicName,
  topicCatalog,
  topicNames,
  topicSpec,
} from "./catalog.js";

describe("topic catalog", () => {
  it("derives one dead-letter topic `<name>.dlq` per data topic", () => {
    const data = topicCatalog.filter((t) => t.message !== null);
    expect(data.length).toBeGreaterThan(0);
    for (const topic of data) {
      expect(topic.deadLetter).toBe(`${topic.name}.dlq`);
      const dlq = topicCatalog.find((t) => t.name === topic.deadLetter);
      expect(dlq?.message).toBeNull();
      expect(dlq?.deadLetter).toBeNull();
    }
    expect(topicCatalog).toHaveLength(data.length * 2);
    expect(deadLetterOf("transactions.timeouts")).toBe("transactions.timeouts.dlq");
  });

  it("types topic names, so a misspelled topic does not compile", () => {
    // The @ts-expect-error lines fail `tsc -p tsconfig.test.json` (make test) if the name compiles.
    // @ts-expect-error "ping" is not a catalog topic
    expect(() => topicSpec("ping")).toThrow(/not in the catalog/);
    // @ts-expect-error dead-letter topics have no dead-letter topic of their own
    deadLetterOf("pings.dlq");
    const name: TopicName = "transactions.timeouts.dlq";
    expect(topicSpec(name).message).toBeNull();
    expect(topicSpec("pings").deadLetter).toBe("pings.dlq");
  });

  it("checks names only known at run time", () => {
    expect(topicNames).toContain("pings.dlq");
    expect(isTopicName("pings")).toBe(true);
    expect(isTopicName("pingz")).toBe(false);
    expect(lookupTopic("transactions").name).toBe("transactions");
    expect(() => lookupTopic("pingz")).toThrow(/topic "pingz" is not in the catalog \(pings, pings.dlq, /);
  });
});
