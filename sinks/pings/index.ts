/**
 * Contract of the pings sink: its replay target and the read-side query of the `pings` table
 * (the gateway's PingCount fallback). Everything else in this folder is internal.
 */
export { countPings, type PingTableCounts } from "./pings-queries.js";
export { pingsSinkReplayTarget } from "./pings-replay.js";
export { PINGS_SINK } from "./pings-sink.js";
