import { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { bashCompletion, completionNodes, zshCompletion } from "./completion.js";

function tree(): Command {
  const program = new Command("tool");
  const topics = program.command("topics").addOption(new Option("--output <f>").choices(["table", "json"]));
  topics.command("create");
  program.command("tail").option("--limit <n>");
  return program;
}

describe("shell completion from the command tree", () => {
  it("lists every command path with its subcommands, flags and option choices", () => {
    const nodes = completionNodes(tree());
    expect(nodes.map((n) => n.path)).toEqual(["", "topics", "topics create", "tail"]);
    expect(nodes[0]?.words).toEqual(["topics", "tail", "--help"]);
    expect(nodes[1]?.words).toEqual(["create", "--output", "--help"]);
    expect(nodes[1]?.choices.get("--output")).toEqual(["table", "json"]);
  });

  it("follows a command added later without a hand-kept list", () => {
    const program = tree();
    program.command("keys").command("revoke");
    const script = bashCompletion(program);
    expect(script).toContain("'keys revoke') echo '--help'");
    expect(script).toContain("'') echo 'topics tail keys --help'");
    expect(script).toContain("'topics|--output') echo 'table json'");
    expect(script).toContain("complete -F _tool tool");
  });

  it("zsh reuses the bash function through bashcompinit", () => {
    const script = zshCompletion(tree());
    expect(script.startsWith("#compdef tool\n")).toBe(true);
    expect(script).toContain("bashcompinit");
  });
});
