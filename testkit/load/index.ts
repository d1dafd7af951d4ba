/**
 * Contract of the traffic simulator (`tributary simulate`): one load engine for the CLI, the
 * benchmarks and the tests. Open-loop pacing, HDR latency histograms, seeded payloads.
 */
export type { LatencySummary } from "./latency-histogram.js";
export { LatencyHistogram } from "./latency-histogram.js";
export { OpenLoopSchedule } from "./pacing.js";
export type { RunHooks, SimulationPlan, SimulationProgress, SimulationResult } from "./run-simulation.js";
export { runSimulation } from "./run-simulation.js";
export type { SimulationReport } from "./simulate.js";
export { simulate } from "./simulate.js";
export type { SimulateInput, SimulateOptions } from "./simulate-options.js";
export { parseDurationMs, parseRatePerS, validateSimulateOptions } from "./simulate-options.js";
export { formatProgress, formatSummary, reportJson } from "./simulation-report.js";
export type { TargetName } from "./targets.js";
export { TARGETS } from "./targets.js";
export type { CallOutcome, Protocol } from "./transports.js";
export { Caller, PROTOCOLS } from "./transports.js";
