import { readFileSync } from "node:fs";

/** Resident memory of a process from /proc/<pid>/status, in MiB (Linux only). */
export interface ProcessMemory {
  readonly pid: number;
  /** VmRSS: resident now. */
  readonly rssMiB: number;
  /** VmHWM: the largest resident size since the process started. */
  readonly peakRssMiB: number;
}

export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined; // gone, or no /proc
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  const mib = (k: number) => Math.round((k / 1024) * 10) / 10;
  return { pid, rssMiB: mib(kib("VmRSS")), peakRssMiB: mib(kib("VmHWM")) };
}

/** Samples a process's RSS every `everyMs` until stopped; `stop` returns the largest sample. */
export function sampleMemory(pid: number, everyMs = 250): { stop: () => ProcessMemory | undefined } {
  let maxRssMiB = 0;
  let last: ProcessMemory | undefined;
  const take = () => {
    const m = readProcessMemory(pid);
    if (m === undefined) return;
    last = m;
    maxRssMiB = Math.max(maxRssMiB, m.rssMiB);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      take();
      clearInterval(timer);
      return last === undefined ? undefined : { ...last, rssMiB: maxRssMiB };
    },
  };
}
