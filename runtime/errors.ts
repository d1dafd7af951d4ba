/** Closed set of error codes used across the runtime; the API edge maps them to Connect codes. */
export type TributaryErrorCode =
  | "config_invalid"
  | "invalid_argument"
  | "decode_failed"
  | "schema_registry"
  | "unavailable"
  | "offset_conflict"
  | "not_found"
  | "internal";

export interface TributaryErrorOptions {
  /** True when trying the same operation again may succeed (network blip, broker failover). */
  readonly canRetry?: boolean;
  /** Field or variable the error is about, so callers can name it. */
  readonly field?: string;
  readonly cause?: unknown;
}

export class TributaryError extends Error {
  readonly code: TributaryErrorCode;
  readonly canRetry: boolean;
  readonly field: string | undefined;

  constructor(code: TributaryErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TributaryError";
    this.code = code;
    this.canRetry = options.canRetry ?? false;
    this.field = options.field;
  }
}

/** Message of any thrown value, for logs and DLQ headers. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
