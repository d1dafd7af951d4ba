import { describe, expect, it } from "vitest";
import { shareAbortReason } from "./shared-abort-reason.js";

describe("shareAbortReason", () => {
  shareAbortReason();

  it("gives a reason-less abort an AbortError, the same one each time", () => {
    const a = new AbortController();
    const b = new AbortController();
    a.abort();
    b.abort();
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBeInstanceOf(DOMException);
    expect((a.signal.reason as DOMException).name).toBe("AbortError");
    expect(b.signal.reason).toBe(a.signal.reason);
  });

  it("keeps a given reason, and AbortSignal.any still follows its sources", () => {
    const source = new AbortController();
    const linked = AbortSignal.any([source.signal]);
    const reason = new Error("client went away");
    source.abort(reason);
    expect(source.signal.reason).toBe(reason);
    expect(linked.reason).toBe(reason);
  });
});
