/** Closed set of error codes used across the runtime; the API edge maps them to Connect codes. */
export type TributaryErrorCode =
  | "config_invalid"
  | "invalid_argument"
  | "decode_failed"
  | "schema_registry"
  | "unavailable"
  | "deadline_exceeded"
  | "resource_exhausted"
  | "offset_conflict"
  | "not_found"
  | "unauthenticated"
  | "permission_denied"
  | "internal";

export interface TributaryErrorOptions {
  /** True when trying the same operation again may succeed (network blip, broker failover). */
  readonly canRetry?: boolean;
  /** Field or variable the error is about, so callers can name it. */
  readonly field?: string;
  /** resource_exhausted: how long the caller should wait before trying again (Retry-After). */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class TributaryError extends Error {
  readonly code: TributaryErrorCode;
  readonly canRetry: boolean;
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: TributaryErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TributaryError";
    this.code = code;
    this.canRetry = options.canRetry ?? false;
    this.field = options.field;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Message of any thrown value, for logs and DLQ headers. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
