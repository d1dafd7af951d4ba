/**
 * What a Start or a Stop does to the instance of its transaction id that is open (Start seen,
 * no Stop, not timed out), decided on event time alone so a backlog replays the same:
 * - `started`: a Start with nothing open begins an instance (deadline = event time + timeout);
 * - `duplicate_start`: a Start before the open instance's deadline is ignored (counted);
 * - `superseded`: a Start at or past the open deadline: that instance timed out first (its
 *   timeout fires), and the Start then begins a new instance;
 * - `cancelled`: a Stop before the deadline completes the open instance in time;
 * - `stopped_after_deadline`: a Stop at or past the deadline: the timeout happened first;
 * - `stop_not_pending`: a Stop with nothing open (unknown id, second Stop, already timed out).
 */
export type StartStopOutcome =
  | "started"
  | "duplicate_start"
  | "superseded"
  | "cancelled"
  | "stopped_after_deadline"
  | "stop_not_pending";

/** The open instance of a transaction id, as far as pairing is concerned. */
export interface OpenInstance {
  /** Event time of its Start + its timeout, ms. */
  readonly deadlineMs: number;
}

/** A Start or a Stop, as far as pairing is concerned. */
export interface PairedEvent {
  readonly kind: "start" | "stop";
  readonly eventTimeMs: number;
}

/**
 * The Start/Stop pairing rule, shared by the transaction timer (which fires or cancels timers)
 * and the transactions sink (which writes instance rows), so both agree on every outcome.
 */
export function pairStartStop(open: OpenInstance | undefined, event: PairedEvent): StartStopOutcome {
  const beforeDeadline = open !== undefined && event.eventTimeMs < open.deadlineMs;
  if (event.kind === "start") {
    if (open === undefined) return "started";
    return beforeDeadline ? "duplicate_start" : "superseded";
  }
  if (open === undefined) return "stop_not_pending";
  return beforeDeadline ? "cancelled" : "stopped_after_deadline";
}
