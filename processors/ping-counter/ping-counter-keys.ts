/** Dragonfly layout of the ping counter (the seed's, so `HGETALL ping:counters` reads the same). */
export const PING_COUNTER = "ping-counter";

export function pingCountersKey(namespace = ""): string {
  return `${namespace}ping:counters`;
}

export const TOTAL_FIELD = "total";

export function minuteOf(timestampMs: number): number {
  return Math.floor(timestampMs / 60_000);
}

export function minuteField(minute: number): string {
  return `minute:${minute}`;
}
