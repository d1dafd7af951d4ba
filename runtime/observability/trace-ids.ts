import { randomFillSync } from "node:crypto";

// Issue 14 measured 4.7 % of the gateway's CPU in randomFillSync when every request called
// randomBytes twice: ids come from one pooled buffer refilled every POOL_BYTES / 24 requests.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

function take(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString("hex", used, used + bytes);
  used += bytes;
  return hex;
}

/** 32 hex digits, never all zero (invalid in W3C trace context). */
export function newTraceId(): string {
  const id = take(16);
  return id === "00000000000000000000000000000000" ? newTraceId() : id;
}

/** 16 hex digits, never all zero. */
export function newSpanId(): string {
  const id = take(8);
  return id === "0000000000000000" ? newSpanId() : id;
}
