import { Code, ConnectError } from "@connectrpc/connect";
import { TributaryError, type TributaryErrorCode } from "../../runtime/errors.js";

const codes: Record<TributaryErrorCode, Code> = {
  config_invalid: Code.Internal,
  invalid_argument: Code.InvalidArgument,
  decode_failed: Code.InvalidArgument,
  schema_registry: Code.Unavailable,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  resource_exhausted: Code.ResourceExhausted,
  offset_conflict: Code.Aborted,
  not_found: Code.NotFound,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  internal: Code.Internal,
};

/** TributaryError (or anything thrown) → ConnectError, keeping the original message. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof TributaryError) {
    const message = err.field === undefined ? err.message : `${err.field}: ${err.message}`;
    return new ConnectError(message, codes[err.code], undefined, undefined, err);
  }
  return ConnectError.from(err, Code.Internal);
}
