import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { defineService } from "../../services/service-entry.js";
import { renderServiceManifest, renderServicePodMonitors } from "./service-manifests.js";

const withMetricsPort = defineService({
  dir: "producers/example",
  role: "producer",
  kafka: { reads: [], writes: ["pings"] },
  config: { SERVICE_NAME: "example", DEFAULT_HTTP_PORT: 8090, ENV_VARS: ["HTTP_PORT", "METRICS_PORT"] },
  deploy: { summary: ["An example."], settings: {}, replicas: 2 },
});
const withoutMetricsPort = defineService({
  ...withMetricsPort,
  config: { ...withMetricsPort.config, ENV_VARS: ["HTTP_PORT"] },
});

function deploymentOf(text: string): {
  spec: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        containers: { ports: { name: string; containerPort: number }[]; env: { name: string; value?: string }[] }[];
      };
    };
  };
} {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string });
  return docs.find((d) => d.kind === "Deployment") as never;
}

describe("a service that reads METRICS_PORT", () => {
  it("gets a `metrics` port (HTTP port + 1000), the variable, and is scraped there", () => {
    const deployment = deploymentOf(renderServiceManifest(withMetricsPort));
    const container = deployment.spec.template.spec.containers[0];
    expect(container?.ports).toEqual([
      { name: "http", containerPort: 8090 },
      { name: "metrics", containerPort: 9090 },
    ]);
    expect(container?.env).toContainEqual({ name: "METRICS_PORT", value: "9090" });
    expect(deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe("9090");
    expect(renderServicePodMonitors([withMetricsPort])).toContain("port: metrics");
  });

  it("otherwise keeps /metrics on `http`", () => {
    const deployment = deploymentOf(renderServiceManifest(withoutMetricsPort));
    expect(deployment.spec.template.spec.containers[0]?.ports).toEqual([{ name: "http", containerPort: 8090 }]);
    expect(deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe("8090");
    expect(renderServicePodMonitors([withoutMetricsPort])).toContain("port: http");
  });
});
