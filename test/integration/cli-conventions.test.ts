import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import { runCli } from "../helpers/run-command.js";
import { uniqueId } from "../helpers/stack-env.js";
import { TestPlatform } from "../helpers/test-platform.js";

// The built CLI as a user runs it (dist/cli/main.js), against the local stack, under its own prefix.
const prefix = `${uniqueId("clic")}.`;
const platform = new TestPlatform(prefix);
const env = { TOPIC_PREFIX: prefix };

let created: { topic: string; state: string }[] = [];
beforeAll(async () => {
  const result = await runCli(["topics", "create", "--output", "json"], env);
  expect(result.code, result.stderr).toBe(0);
  created = JSON.parse(result.stdout) as { topic: string; state: string }[];
});
afterAll(() => platform.close());

describe("tributary CLI conventions", () => {
  it.each([
    [["--help"], ["topics", "tail", "completion", "keys", "dlq"]],
    [["topics", "--help"], ["--output"]],
    [["topics", "create", "--help"], ["--output"]],
    [
      ["tail", "--help"],
      ["--from", "--follow", "--limit", "--output"],
    ],
    [["produce", "--help"], ["--key"]],
    [
      ["ping", "--help"],
      ["--timestamp-ms", "--url"],
    ],
    [
      ["count", "--help"],
      ["--from", "--to"],
    ],
    [["replay", "--help"], ["--from"]],
    [
      ["txn", "start", "--help"],
      ["--client", "--id", "--callback", "--timeout-seconds"],
    ],
    [
      ["mock-client", "--help"],
      ["--pairs", "--callback"],
    ],
    [
      ["messages", "get", "--help"],
      ["--ids", "--token", "--output"],
    ],
    [
      ["simulate", "--help"],
      ["--rate", "--duration", "--protocol"],
    ],
    [
      ["postback", "status", "--help"],
      ["--limit", "--output"],
    ],
    [
      ["dlq", "redrive", "--help"],
      ["--since", "--limit"],
    ],
    [
      ["keys", "create", "--help"],
      ["--client", "--scopes"],
    ],
  ])("%j exits 0 and names its options", async (args, names) => {
    const result = await runCli(args, env);
    expect(result.code, result.stderr).toBe(0);
    for (const name of names) expect(result.stdout).toContain(name);
  });

  it("refuses a non-number --limit with exit code 2, naming the option", async () => {
    const result = await runCli(["tail", "pings", "--limit", "abc"], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("--limit");
    expect(result.stderr).toContain("abc");
    expect(result.stdout).toBe("");
  });

  it.each([
    [["tail", "pings", "--partition", "1"], "--partition"],
    [["no-such-command"], "no-such-command"],
    [["tail", "pings", "--from", "yesterday"], "--from"],
    [["topics", "--output", "xml"], "--output"],
    [["simulate", "ping", "--rate", "x"], "--rate"],
    [["tail"], "topic"],
    [["replay", "no-such-processor"], "processor"],
  ])("%j is a usage error: exit code 2 naming %s", async (args, named) => {
    const result = await runCli(args, env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(named);
  });

  it("a runtime failure keeps exit code 1", async () => {
    const result = await runCli(["ping", "--url", "http://127.0.0.1:1"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error/);
  });

  it("`topics create` and `topics --output json` list every catalog topic as one JSON array", async () => {
    const names = topicCatalog.map((t) => `${prefix}${t.name}`);
    expect(created.map((r) => r.topic)).toEqual(names);
    expect(created.every((r) => r.state === "created" || r.state === "exists")).toBe(true);
    const result = await runCli(["topics", "--output", "json"], env);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as { topic: string; state: string; partitions: number }[];
    expect(rows.map((r) => r.topic)).toEqual(names);
    expect(rows.every((r) => r.state === "exists")).toBe(true);
    const table = await runCli(["topics"], env);
    expect(table.stdout).toMatch(/^TOPIC\s+MESSAGE TYPE\s+PARTITIONS\s+STATE/);
  });

  it("`tail --output json` prints one JSON document per line", async () => {
    const ids = [1, 2, 3].map((i) => `0b6f7c1e-2d7c-4a4e-9f0e-00000000000${i}`);
    const input = ids.map((id, i) => JSON.stringify({ id, timestampMs: String(1728926331000 + i) })).join("\n");
    const produced = await runCli(["produce", "pings"], env, `${input}\n`);
    expect(produced.code, produced.stderr).toBe(0);
    const result = await runCli(["tail", "pings", "--from", "beginning", "--output", "json"], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const records = lines.map((l) => JSON.parse(l) as { key: string; value: { id: string } });
    expect(records.map((r) => r.value.id).sort()).toEqual(ids);
    const table = await runCli(["tail", "pings", "--output", "table", "--limit", "1"], env);
    expect(table.stdout.trimEnd().split("\t")).toHaveLength(4);
  });

  it("`completion bash|zsh` prints a script naming the commands and subcommands", async () => {
    const bash = await runCli(["completion", "bash"], env);
    expect(bash.code).toBe(0);
    for (const word of ["topics", "tail", "replay", "dlq", "redrive", "create", "keys", "revoke", "--output"])
      expect(bash.stdout).toContain(word);
    expect(bash.stdout).toContain("complete -F _tributary tributary");
    const zsh = await runCli(["completion", "zsh"], env);
    expect(zsh.stdout.startsWith("#compdef tributary")).toBe(true);
    const fish = await runCli(["completion", "fish"], env);
    expect(fish.code).toBe(2);
  });
});
