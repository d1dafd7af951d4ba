import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBoundaries, formatReport } from "../../tools/boundaries/check-boundaries.js";
import { runCommand } from "../helpers/run-command.js";
import { repoRoot } from "../helpers/stack-env.js";

const fixture = join(repoRoot, "test", "boundaries", "fixtures", "cross-flow");

describe("module boundary check (tools/check-boundaries.ts)", () => {
  it("finds the deliberate violations of the fixture, each with its rule", () => {
    const lines = checkBoundaries(fixture).violations.map((v) => `${v.file} → ${v.specifier} [${v.rule}]`);
    expect(lines.sort()).toEqual(
      [
        "producers/front/main.ts → ../../processors/counter/counter-keys.js [flow-contract]",
        "producers/front/main.ts → ../../cli/cli-name.js [flow-deps]",
        "processors/counter/main.ts → kafkajs [kafkajs-adapter]",
        "runtime/platform.ts → ../processors/counter/index.js [runtime-base]",
        "gen/ping_pb.ts → ../runtime/platform.js [gen-leaf]",
        "cli/cli-name.ts → ../bench/bench.js [cli-bench]",
        "cli/cli-name.ts → ../processors/counter/counter-keys.js [composition-contract]",
        "sinks/loose → index.ts [contract-exists]",
        "sinks/barrel/index.ts → export * [contract-named-exports]",
      ].sort(),
    );
  });

  it("allows imports through a contract and the adapter's own kafkajs import", () => {
    const files = checkBoundaries(fixture).violations.map((v) => `${v.file} → ${v.specifier}`);
    expect(files).not.toContain("producers/front/main.ts → ../../processors/counter/index.js");
    expect(files).not.toContain("runtime/kafka/kafka-adapter.ts → kafkajs");
  });

  it("fails the command on the fixture, printing file → import and the rule", async () => {
    const result = await runCommand(process.execPath, [join(repoRoot, "dist/tools/check-boundaries.js"), fixture]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "producers/front/main.ts → ../../processors/counter/counter-keys.js  [flow-contract] reaches into processors/counter (use processors/counter/index.ts)",
    );
    expect(result.stderr).toContain("[flow-contract] a flow imports another flow only through that flow's index.ts");
  });

  it("finds the repository itself clean", () => {
    const report = checkBoundaries(repoRoot);
    expect(report.files).toBeGreaterThan(100);
    expect(report.violations, formatReport(report)).toEqual([]);
  });
});
