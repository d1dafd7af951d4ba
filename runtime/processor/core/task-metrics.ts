import { Counter, Gauge, Histogram, type Registry } from "prom-client";

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** Metrics every task exports, created once per registry (several tasks may share one). */
export function taskMetrics(registry: Registry) {
  const counterOf = (name: string, help: string, labelNames: string[]) =>
    existing<Counter>(registry, name) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const gaugeOf = (name: string, help: string, labelNames: string[]) =>
    existing<Gauge>(registry, name) ?? new Gauge({ name, help, labelNames, registers: [registry] });
  const commitSeconds =
    existing<Histogram>(registry, "tributary_processor_commit_seconds") ??
    new Histogram({
      name: "tributary_processor_commit_seconds",
      help: "Duration of one atomic commit of state and offsets",
      labelNames: ["processor"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  return {
    records: counterOf("tributary_processor_records_total", "Records committed to the state store", ["processor"]),
    deadLetters: counterOf("tributary_processor_dead_letters_total", "Records sent to the DLQ", ["processor"]),
    conflicts: counterOf("tributary_processor_offset_conflicts_total", "Commits refused by offset CAS", ["processor"]),
    lag: gaugeOf("tributary_processor_lag_records", "Log end offset minus the offset the store holds", [
      "processor",
      "partition",
    ]),
    consumerLag: gaugeOf(
      "tributary_consumergroup_lag",
      "Records behind the log end, from the offsets stored with the state (kafka_consumergroup_lag style)",
      ["topic", "partition", "group"],
    ),
    lastCommit: gaugeOf(
      "tributary_processor_last_commit_timestamp_seconds",
      "Unix time of the last commit that stored records with their state (freshness: time() minus this while lag > 0)",
      ["processor"],
    ),
    commitSeconds,
  };
}

export type TaskMetrics = ReturnType<typeof taskMetrics>;
