import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PingRecordedSchema } from "../../gen/ping/v1/ping_recorded_pb.js";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot, uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";

// Reproduction of issue 16: `tail ... | wc -l` printed 30,197 of 163,259 records because the CLI
// exited before a full pipe had drained. Enough records to fill a pipe buffer many times over.
const RECORDS = 20_000;
const prefix = `${uniqueId("tp")}.`;
const platform = new TestPlatform(prefix);
const cli = `${repoRoot}/dist/cli/main.js`;

// A `wc -l` that reads slowly: pauses after every chunk, so the writer meets a full pipe.
const SLOW_LINE_COUNTER = `
let lines = 0;
process.stdin.on("data", (chunk) => {
  for (const byte of chunk) if (byte === 10) lines += 1;
  process.stdin.pause();
  setTimeout(() => process.stdin.resume(), 3);
});
process.stdin.on("end", () => process.stdout.write(lines + "\\n"));
`;

/** Runs `tail ... | <consumer>` through bash; returns the consumer's output and both exit codes. */
async function pipeline(tailArgs: string, consumer: string) {
  const script = `set -u; node ${cli} tail pings ${tailArgs} | ${consumer}; echo "codes \${PIPESTATUS[*]}" >&2`;
  const result = await runCommand("bash", ["-c", script], { env: { TOPIC_PREFIX: prefix }, timeoutMs: 180_000 });
  const codes = /codes (\d+) (\d+)/.exec(result.stderr);
  return {
    stdout: result.stdout,
    stderr: result.stderr.replace(/codes \d+ \d+\n?/, ""),
    tailCode: Number(codes?.[1]),
    consumerCode: Number(codes?.[2]),
  };
}

beforeAll(async () => {
  await platform.createTopics();
  const topic = platform.topic("pings");
  const producer = await platform.producer();
  for (let start = 0; start < RECORDS; start += 5_000) {
    const records = Array.from({ length: Math.min(5_000, RECORDS - start) }, (_, i) => {
      const n = start + i;
      const ping = create(PingRecordedSchema, {
        id: `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`,
        timestampMs: 1_728_926_331_000n + BigInt(n),
      });
      return platform.codec.encode(topic, PingRecordedSchema, ping, ping.id);
    });
    await producer.sendAll(topic, records);
  }
}, 180_000);
afterAll(() => platform.close());

describe("tributary tail into a pipe", () => {
  it("delivers every record to a slow reader and exits 0", async () => {
    const result = await pipeline("--from beginning", `node -e '${SLOW_LINE_COUNTER}'`);
    expect(result.stderr).toBe("");
    expect(result.tailCode).toBe(0);
    expect(result.consumerCode).toBe(0);
    expect(Number(result.stdout.trim())).toBe(RECORDS);
  });

  it("ends quietly with exit code 0 when the reader goes away (| head)", async () => {
    const result = await pipeline("--from beginning", "head -n 3");
    expect(result.stdout.trim().split("\n")).toHaveLength(3);
    expect(result.stderr).toBe("");
    expect(result.tailCode).toBe(0);
  });
});
