import { errorMessage, TributaryError } from "../errors.js";

/**
 * Entry-point wrapper: a start-up failure (bad config, unreachable dependency) ends the process
 * with exit code 1 and one JSON log line naming the problem, instead of a raw stack trace.
 */
export function runMain(serviceName: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const line = {
      level: "fatal",
      time: new Date().toISOString(),
      service: serviceName,
      code: err instanceof TributaryError ? err.code : "internal",
      field: err instanceof TributaryError ? err.field : undefined,
      msg: errorMessage(err),
    };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    process.exit(1);
  });
}
