#!/usr/bin/env node
import { CommanderError } from "commander";
import { errorMessage, TributaryError } from "../runtime/errors.js";
import { stderr, stdout } from "./data-output.js";
import { buildProgram } from "./program.js";

/** Exit codes: 0 ok, 1 runtime failure, 2 usage error (unknown command/option, invalid argument). */
const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    // commander has already printed its one-line message (or the help) to stderr.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    throw err;
  }
}

// Exit only once stdout and stderr drained: on a pipe, an early exit loses queued output.
main(process.argv.slice(2)).then(
  async (code) => {
    await stdout.flush();
    if (stdout.error !== undefined) process.stderr.write(`error: writing output: ${stdout.error.message}\n`);
    await stderr.flush();
    process.exit(stdout.error === undefined ? code : 1);
  },
  async (err: unknown) => {
    const code = err instanceof TributaryError ? ` [${err.code}]` : "";
    process.stderr.write(`error${code}: ${errorMessage(err)}\n`);
    await stderr.flush();
    process.exit(1);
  },
);
