import type { LatencySummary } from "./latency-histogram.js";
import type { SimulationProgress } from "./run-simulation.js";
import type { SimulationReport } from "./simulate.js";

const ms = (v: number) => (Number.isNaN(v) ? "-" : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0));

/** The live line: `12.0s sent 24000 ok 23990 err 0 rate 2001/s p99 3.1ms inflight 4`. */
export function formatProgress(p: SimulationProgress): string {
  return [
    `${(p.elapsedMs / 1000).toFixed(1)}s`,
    `sent ${p.sent}`,
    `ok ${p.ok}`,
    `err ${p.failed}`,
    `rate ${Math.round(p.currentRatePerS)}/s`,
    `p99 ${ms(p.intervalP99Ms)}ms`,
    `inflight ${p.inFlight}`,
  ].join("  ");
}

function latencyRow(name: string, l: LatencySummary): string {
  return `  ${name.padEnd(14)}${[l.p50, l.p90, l.p99, l.p999, l.max].map((v) => ms(v).padStart(10)).join("")}`;
}

/** Human summary: counts, rates, error codes and the latency table (ms). */
export function formatSummary(r: SimulationReport): string {
  const o = r.options;
  const lines = [
    `simulate ${o.target} over ${o.protocol} → ${o.baseUrl}`,
    `  rate ${o.ratePerS}/s for ${o.durationMs / 1000}s (ramp ${o.rampMs / 1000}s), concurrency ${o.concurrency}, seed ${o.seed}`,
    "",
    `  offered      ${r.offered}  (${r.offeredRatePerS.toFixed(1)}/s)`,
    `  sent         ${r.sent}  (${r.achievedRatePerS.toFixed(1)}/s)`,
    `  ok           ${r.ok}  (${r.okRatePerS.toFixed(1)}/s over ${(r.elapsedMs / 1000).toFixed(1)}s)`,
    `  failed       ${r.failed}`,
    ...Object.entries(r.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `    ${code.padEnd(24)} ${n}`),
    `  missed       ${r.missed}  (intended, never sent)`,
    `  late         ${r.late}  (sent > 10 ms after the intended time)`,
    "",
    `  ${"ms".padEnd(14)}${["p50", "p90", "p99", "p99.9", "max"].map((h) => h.padStart(10)).join("")}`,
    latencyRow("latency", r.latencyMs),
    latencyRow("service time", r.serviceTimeMs),
    latencyRow("send lag", r.sendLagMs),
    "",
    "  latency: from the intended send time (open loop); service time: from the actual send.",
  ];
  return `${lines.join("\n")}\n`;
}

/** `--json`: the report as one JSON object (NaN as null). */
export function reportJson(r: SimulationReport): string {
  return `${JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && Number.isNaN(v) ? null : v))}\n`;
}
