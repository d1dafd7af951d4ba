import type { ServiceEntry } from "../../services/service-entry.js";

/**
 * The variable a service reads to serve /metrics on a port of its own, away from its public port
 * (the gateway's API port is exposed through the Ingress; its metrics must not be). A service
 * whose config.ts lists it in ENV_VARS gets a `metrics` container port and is scraped there.
 */
export const METRICS_PORT_VARIABLE = "METRICS_PORT";
/** The metrics port is the HTTP port plus this (gateway 8080 -> 9080). */
export const METRICS_PORT_OFFSET = 1000;

/** The separate metrics port of a service, or undefined when it serves /metrics on its HTTP port. */
export function metricsPortOf(service: ServiceEntry): number | undefined {
  return service.config.ENV_VARS.includes(METRICS_PORT_VARIABLE)
    ? service.config.DEFAULT_HTTP_PORT + METRICS_PORT_OFFSET
    : undefined;
}

/** The container port name Prometheus scrapes. */
export function metricsPortNameOf(service: ServiceEntry): string {
  return metricsPortOf(service) === undefined ? "http" : "metrics";
}

/** The generated `k8s/monitoring/<name>-podmonitor.yaml` body: Prometheus Operator scrapes the pods. */
export function podMonitor(service: ServiceEntry): object {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: {
      name: service.name,
      labels: { "app.kubernetes.io/name": service.name, "app.kubernetes.io/part-of": "tributary" },
    },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": service.name } },
      podMetricsEndpoints: [{ port: metricsPortNameOf(service), path: "/metrics", interval: "30s" }],
    },
  };
}
