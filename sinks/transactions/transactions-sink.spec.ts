import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TransactionStartedSchema } from "../../gen/transactions/v1/transaction_event_pb.js";
import { foldTransactionEvents, type InstanceRow, type TransactionRecord } from "./transactions-sink.js";

const T = 1_800_000_000_000;
let offset = 0;
const start = (id: string, t: number, timeoutSeconds = 10): TransactionRecord => ({
  kind: "start",
  transactionId: id,
  eventTimeMs: t,
  started: create(TransactionStartedSchema, { transactionId: id, clientId: "c", timeoutSeconds }),
  deadlineMs: t + timeoutSeconds * 1000,
  partition: 0,
  offset: offset++,
});
const stop = (id: string, t: number): TransactionRecord => ({
  kind: "stop",
  transactionId: id,
  eventTimeMs: t,
  partition: 0,
  offset: offset++,
});

/** Folds from an empty table; returns each touched row as key → state (+ stop time, duplicates). */
function fold(events: TransactionRecord[], open = new Map<string, InstanceRow>()) {
  const { touched, strays } = foldTransactionEvents(open, events);
  return {
    rows: Object.fromEntries(touched.map((r) => [r.key, [r.state, r.stoppedAtMs, r.duplicates]])),
    strays: strays.map((s) => s.transactionId),
  };
}

describe("transactions sink fold (pairStartStop applied to rows)", () => {
  it("completes an instance stopped in time and marks a late Stop", () => {
    expect(fold([start("a", T), stop("a", T + 9_000), start("b", T), stop("b", T + 10_000)]).rows).toEqual({
      [`a:${T}`]: ["completed", T + 9_000, 0],
      [`b:${T}`]: ["stopped_late", T + 10_000, 0],
    });
  });

  it("counts duplicate Starts on the open instance and supersedes it after its deadline", () => {
    expect(fold([start("a", T), start("a", T + 1_000), start("a", T + 10_000)]).rows).toEqual({
      [`a:${T}`]: ["superseded", null, 1],
      [`a:${T + 10_000}`]: ["open", null, 0],
    });
  });

  it("records Stops that find nothing open as strays", () => {
    expect(fold([stop("ghost", T), start("a", T), stop("a", T + 1), stop("a", T + 2)])).toEqual({
      rows: { [`a:${T}`]: ["completed", T + 1, 0] },
      strays: ["ghost", "a"],
    });
  });

  it("continues an instance already in the table", () => {
    const existing: InstanceRow = {
      key: `a:${T}`,
      deadlineMs: T + 10_000,
      start: null,
      state: "open",
      stoppedAtMs: null,
      duplicates: 0,
      changed: false,
    };
    const open = new Map([["a", existing]]);
    expect(fold([stop("a", T + 5_000)], open).rows).toEqual({ [`a:${T}`]: ["completed", T + 5_000, 0] });
    expect(existing.changed).toBe(true);
    expect(open.size).toBe(0);
  });
});
