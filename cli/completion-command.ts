import { type Command, createArgument } from "commander";
import { bashCompletion, zshCompletion } from "./completion.js";

export const SHELLS = ["bash", "zsh"] as const;

/** `completion bash|zsh`: prints a completion script generated from the root command's tree. */
export function registerCompletionCommand(program: Command): Command {
  return program
    .command("completion")
    .description("print a shell completion script: source <(tributary completion bash)")
    .addArgument(createArgument("<shell>", "bash or zsh").choices(SHELLS))
    .action((shell: (typeof SHELLS)[number]) => {
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
