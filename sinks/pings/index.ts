/**
 * Contract of the pings sink: its replay target (the `pings` table is read by the gateway's
 * PingCount fallback through SQL). Everything else in this folder is internal.
 */

export { pingsSinkReplayTarget } from "./pings-replay.js";
export { PINGS_SINK } from "./pings-sink.js";
