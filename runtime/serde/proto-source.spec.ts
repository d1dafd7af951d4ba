import { describe, expect, it } from "vitest";
import { CloudEventAttributeValueSchema, MessageCommandSchema } from "../../gen/messages/v1/cloud_event_pb.js";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { topicCatalog } from "../catalog/catalog.js";
import { messageIndexesOf, messageNameAt, protoSourceOf } from "./proto-source.js";

describe("proto sources and message indexes", () => {
  it("finds message indexes of top-level messages", () => {
    expect(messageIndexesOf(PingRecordedSchema)).toEqual([0]);
    expect(messageIndexesOf(CloudEventAttributeValueSchema)).toEqual([1]);
    expect(messageIndexesOf(MessageCommandSchema)).toEqual([2]);
  });

  it("resolves every catalog type back from its registered source text", () => {
    for (const topic of topicCatalog) {
      if (topic.message === null) continue;
      const source = protoSourceOf(topic.message);
      expect(messageNameAt(source, messageIndexesOf(topic.message))).toBe(topic.message.typeName);
    }
  });

  it("handles nested messages and comments", () => {
    const source = `syntax = "proto3"; package a.b; // message Fake {
      message Outer { message Inner { string x = 1; } message Second {} }
      /* message Hidden {} */ message Next { map<string, string> m = 1; }`;
    expect(messageNameAt(source, [0, 1])).toBe("a.b.Outer.Second");
    expect(messageNameAt(source, [1])).toBe("a.b.Next");
    expect(messageNameAt(source, [2])).toBeUndefined();
  });
});
