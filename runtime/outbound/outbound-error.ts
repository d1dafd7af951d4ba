/**
 * Why an outbound call did not get a response. The kind carries the decision: `blocked` and
 * `invalid_target` are final (the same call would be refused again), the others may pass later.
 */
export type OutboundFailureKind =
  | "blocked"
  | "invalid_target"
  | "timeout"
  | "connection"
  | "host_busy"
  | "circuit_open"
  | "aborted";

const RETRYABLE: ReadonlySet<OutboundFailureKind> = new Set(["timeout", "connection", "host_busy", "circuit_open"]);

export class OutboundError extends Error {
  readonly kind: OutboundFailureKind;
  readonly canRetry: boolean;
  /** Earliest sensible next try (open circuit, busy host), when known. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: OutboundFailureKind, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OutboundError";
    this.kind = kind;
    this.canRetry = RETRYABLE.has(kind);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The OutboundError inside an error undici wrapped (a connector error surfaces as its cause). */
export function findOutboundError(err: unknown): OutboundError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof OutboundError) return current;
    current = current.cause;
  }
  return undefined;
}
