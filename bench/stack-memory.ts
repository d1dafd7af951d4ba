// RSS of every process of the local stack (pid files in .stack/run/, see stack/stack.sh), issue 14
// item 7: goal ≤ 150 MB per service. Prints one JSON line per process: VmRSS now and VmHWM (the
// peak since it started, i.e. under whatever load it has seen). Run with the stack up:
//   node dist/bench/stack-memory.js          (once)
//   BENCH_SAMPLE_S=30 node dist/bench/stack-memory.js   (largest VmRSS over 30 s, sampled 4×/s)
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { type ProcessMemory, sampleMemory } from "./process-memory.js";

const root = join(import.meta.dirname, "..", "..");
const runDir = process.env.STACK_RUN_DIR ?? join(root, ".stack", "run");
const sampleS = Number(process.env.BENCH_SAMPLE_S ?? 0);
/** Our own services (goal ≤ 150 MB); the rest are the engines they run on, reported for scale. */
const engines = new Set(["kafka", "postgres", "redis", "registry"]);

const pids = readdirSync(runDir)
  .filter((f) => f.endsWith(".pid"))
  .map((f) => ({ name: f.slice(0, -4), pid: Number(readFileSync(join(runDir, f), "utf8").trim().split("\n")[0]) }))
  .filter((p) => Number.isInteger(p.pid) && p.pid > 0);
const samplers = pids.map((p) => ({ ...p, sampler: sampleMemory(p.pid) }));
if (sampleS > 0) await new Promise((r) => setTimeout(r, sampleS * 1000));
for (const { name, pid, sampler } of samplers) {
  const m: ProcessMemory | undefined = sampler.stop();
  const service = !engines.has(name);
  process.stdout.write(
    `${JSON.stringify({
      bench: "stack-memory",
      name,
      ...(m === undefined ? { pid, running: false } : m),
      ...(service && m !== undefined ? { withinGoal150MB: m.peakRssMiB * 1.048576 <= 150 } : {}),
      sampledS: sampleS,
      loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
    })}\n`,
  );
}
