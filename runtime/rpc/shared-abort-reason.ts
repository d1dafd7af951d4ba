/**
 * `AbortController.abort()` without a reason builds a new `DOMException` (with a captured stack)
 * as the signal's reason. connect-node aborts the signal of every request when its response
 * closes (node-universal-handler.js, also in 2.3.0), and connect's handler context links one more:
 * under 64-connection `Ping` load that was 5.6 % of the gateway's busy CPU in `DOMException`
 * alone (7.7 % with `abort`), for a reason nobody reads after a finished call.
 *
 * This hands every reason-less `abort()` in the process one shared AbortError instead: same
 * class, name, message and code, so `signal.reason` checks behave as before; only the stack
 * (never the caller's) and the object identity differ. A reason given is kept untouched.
 */
const SHARED_ABORT_REASON = new DOMException("This operation was aborted", "AbortError");

let installed = false;

/** Installs the shared reason once per process (the request-serving mains call it at start). */
export function shareAbortReason(): void {
  if (installed) return;
  installed = true;
  const abort = AbortController.prototype.abort;
  AbortController.prototype.abort = function abortWithSharedReason(this: AbortController, reason?: unknown): void {
    abort.call(this, reason === undefined ? SHARED_ABORT_REASON : reason);
  };
}
