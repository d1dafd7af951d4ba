import { describe, expect, it } from "vitest";
import { formatTopics, type TopicRow } from "./topics-command.js";

const rows: TopicRow[] = [
  {
    topic: "p.pings",
    messageType: "ping.v1.PingRecorded",
    partitions: 2,
    state: "created",
    endOffsets: [
      { partition: 0, offset: 5 },
      { partition: 1, offset: 0 },
    ],
    records: 5,
    deadLetter: "pings.dlq",
  },
  {
    topic: "p.x",
    messageType: "bytes",
    partitions: 1,
    state: "missing",
    endOffsets: [],
    records: null,
    deadLetter: null,
  },
];

describe("topics output (shared by topics and topics create)", () => {
  it("table: one row per topic with state and end offsets", () => {
    const lines = formatTopics("table", rows).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TOPIC\s+MESSAGE TYPE\s+PARTITIONS\s+STATE\s+END OFFSETS\s+RECORDS\s+DLQ$/);
    expect(lines[1]).toMatch(/^p\.pings\s+ping\.v1\.PingRecorded\s+2\s+created\s+0:5 1:0\s+5\s+pings\.dlq$/);
    expect(lines[2]).toMatch(/^p\.x\s+bytes\s+1\s+missing\s+-\s+-\s+-$/);
  });

  it("json: one array of the rows", () => {
    expect(JSON.parse(formatTopics("json", rows))).toEqual(rows);
  });
});
