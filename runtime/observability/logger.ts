import { destination, type Logger, pino } from "pino";

export type { Logger };

/** Structured JSON logs on stdout, one object per line, with the service name on each. */
export function createLogger(serviceName: string, level: string): Logger {
  return pino({ level, base: { service: serviceName }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** The same JSON lines on stderr: for CLI commands whose stdout is their result. */
export function createStderrLogger(serviceName: string, level: string): Logger {
  return pino({ level, base: { service: serviceName }, timestamp: pino.stdTimeFunctions.isoTime }, destination(2));
}
