import { stringify } from "yaml";
import { topicCatalog } from "../../runtime/catalog/catalog.js";
import type { ServiceEntry } from "../../services/service-entry.js";
import { serviceManifestHeader } from "./service-manifests.js";

/**
 * Where KEDA asks Prometheus for lag: kube-prometheus-stack's `prometheus-operated` Service in the
 * `monitoring` namespace (the namespace k8s/network/policies.yaml lets scrape the pods). Change it
 * here and regenerate when your Prometheus lives elsewhere.
 */
export const PROMETHEUS_URL = "http://prometheus-operated.monitoring.svc:9090";
/** Records of lag one replica is expected to work off; KEDA adds replicas per multiple of it. */
export const LAG_RECORDS_PER_REPLICA = 5000;
/** Lag below which KEDA counts the processor as idle (it never scales below minReplicaCount). */
export const ACTIVATION_LAG_RECORDS = 100;
/** Target CPU of services with a CPU HPA (deploy.cpuAutoscaleMaxReplicas: the gateway). */
export const CPU_UTILIZATION_PERCENT = 70;

/** Processors and sinks consuming a Kafka topic: one KEDA ScaledObject each. */
export function scaledServices(registry: readonly ServiceEntry[]): ServiceEntry[] {
  return registry.filter(
    (s) => (s.role === "processor" || s.role === "sink") && s.kafka.reads.length > 0 && s.kafka.group !== undefined,
  );
}

/**
 * A consumer group never uses more members than the partitions of the topic it reads (more replicas
 * sit idle), so that is the ceiling; the floor keeps one replica per service so the lag metric,
 * which the processor itself exports from the offsets it stores with its state, always exists.
 */
export function replicaBoundsOf(service: ServiceEntry): { min: number; max: number } {
  const partitions = service.kafka.reads.map((name) => {
    const topic = topicCatalog.find((t) => t.name === name);
    if (topic === undefined) throw new Error(`service ${service.name} reads ${name}, which is not in the catalog`);
    return topic.partitions;
  });
  const max = Math.max(...partitions);
  return { min: Math.min(1, max), max };
}

/** The PromQL KEDA evaluates: lag summed over the service's partitions, from its own stored offsets. */
export function lagQueryOf(service: ServiceEntry): string {
  return `sum(tributary_consumergroup_lag{group="${service.kafka.group}"})`;
}

function scaledObject(service: ServiceEntry): object {
  const { min, max } = replicaBoundsOf(service);
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: {
      name: service.name,
      labels: { "app.kubernetes.io/name": service.name, "app.kubernetes.io/part-of": "tributary" },
    },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service.name },
      minReplicaCount: min,
      maxReplicaCount: max,
      pollingInterval: 15,
      // A rebalance costs every member a state reload: scale down only after five quiet minutes.
      cooldownPeriod: 300,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          },
        },
      },
      triggers: [
        {
          type: "prometheus",
          metadata: {
            serverAddress: PROMETHEUS_URL,
            query: lagQueryOf(service),
            threshold: String(LAG_RECORDS_PER_REPLICA),
            activationThreshold: String(ACTIVATION_LAG_RECORDS),
          },
        },
      ],
    },
  };
}

function cpuAutoscaler(gateway: ServiceEntry, maxReplicas: number): object {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name: gateway.name,
      labels: { "app.kubernetes.io/name": gateway.name, "app.kubernetes.io/part-of": "tributary" },
    },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: gateway.name },
      minReplicas: gateway.deploy.replicas,
      maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: CPU_UTILIZATION_PERCENT },
          },
        },
      ],
    },
  };
}

/** k8s/autoscaling/autoscalers.yaml: a ScaledObject per consumer, a CPU HPA where deploy settings ask. */
export function renderAutoscalers(registry: readonly ServiceEntry[]): string {
  const docs = [
    ...scaledServices(registry).map(scaledObject),
    ...registry.flatMap((s) =>
      s.deploy.cpuAutoscaleMaxReplicas === undefined ? [] : [cpuAutoscaler(s, s.deploy.cpuAutoscaleMaxReplicas)],
    ),
  ];
  const header = [
    serviceManifestHeader(),
    "# KEDA scales each consumer on the lag it reports from the offsets stored with its state",
    `# (tributary_consumergroup_lag, through Prometheus at ${PROMETHEUS_URL}), between one replica and`,
    "# the partitions of its input topic; an autoscaling/v2 HPA scales the gateway on CPU.",
  ].join("\n");
  return `${header}\n${docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n")}`;
}
