/**
 * Contract of the ping counter: its Dragonfly layout (read by the gateway's PingCount) and its
 * replay target. Everything else in this folder is internal (tools/check-boundaries.ts).
 */
export { minuteField, minuteOf, PING_COUNTER, pingCountersKey, TOTAL_FIELD } from "./ping-counter-keys.js";
export { pingCounterReplayTarget } from "./ping-counter-replay.js";
