import { type RunHooks, runSimulation, type SimulationResult } from "./run-simulation.js";
import { type SimulateInput, type SimulateOptions, validateSimulateOptions } from "./simulate-options.js";
import { targetOperation } from "./targets.js";
import { Caller } from "./transports.js";

export interface SimulationReport extends SimulationResult {
  readonly options: SimulateOptions;
}

/** Drives one front door at a rate for a duration; resolves with the summary. */
export async function simulate(input: SimulateInput, hooks: RunHooks = {}): Promise<SimulationReport> {
  const options = validateSimulateOptions(input);
  const caller = new Caller(options);
  try {
    const operation = targetOperation(options.target, caller, options);
    const result = await runSimulation(options, operation, hooks);
    return { ...result, options };
  } finally {
    await caller.close();
  }
}
