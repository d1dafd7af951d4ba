import { stringify } from "yaml";
import { serviceManifestHeader } from "./service-manifests.js";

/** A Grafana time-series panel: title, what it shows, PromQL targets `[expr, legend]`, unit. */
interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly targets: readonly (readonly [expr: string, legend: string])[];
  readonly unit: string;
}

/**
 * The dashboard's panels. Every tributary_* name here must be one the services export:
 * test/integration/dashboard-metrics.test.ts reads each query against the running services' /metrics.
 */
export const DASHBOARD_PANELS: readonly PanelSpec[] = [
  {
    title: "Ingest rate",
    description: "RPCs the gateway answered, by method and code",
    targets: [["sum by (method, code) (rate(tributary_rpc_requests_total[1m]))", "{{method}} {{code}}"]],
    unit: "reqps",
  },
  {
    title: "Records processed",
    description: "Records committed with their state, by processor",
    targets: [["sum by (processor) (rate(tributary_processor_records_total[1m]))", "{{processor}}"]],
    unit: "rps",
  },
  {
    title: "Consumer lag",
    description: "Records behind the log end, from the offsets each processor stores with its state",
    targets: [["sum by (group, topic) (tributary_consumergroup_lag)", "{{group}} / {{topic}}"]],
    unit: "short",
  },
  {
    title: "Counts freshness",
    description: "Seconds since the last commit of processors that have lag (none when caught up), and p99 commit time",
    targets: [
      [
        "(time() - max by (processor) (tributary_processor_last_commit_timestamp_seconds)) and on (processor) (sum by (processor) (tributary_processor_lag_records) > 0)",
        "{{processor}} behind for",
      ],
      [
        "histogram_quantile(0.99, sum by (le, processor) (rate(tributary_processor_commit_seconds_bucket[5m])))",
        "{{processor}} commit p99",
      ],
    ],
    unit: "s",
  },
  {
    title: "Timer backlog",
    description: "Pending transaction timers, and how far the event-time watermark trails the wall clock (s)",
    targets: [
      ["sum(tributary_timers_pending)", "pending timers"],
      ["time() - min(tributary_timers_watermark_ms) / 1000", "watermark delay (s)"],
    ],
    unit: "short",
  },
  {
    title: "Delivery outcomes",
    description: "Callbacks and postbacks finished per second by processor and outcome; open circuits",
    targets: [
      ["sum by (processor, outcome) (rate(tributary_deliveries_total[5m]))", "{{processor}} {{outcome}}"],
      ["sum(tributary_outbound_open_circuits)", "open circuits"],
    ],
    unit: "short",
  },
  {
    title: "DLQ growth",
    description: "Poison records sent to dead-letter topics in the last hour, by processor",
    targets: [["sum by (processor) (increase(tributary_processor_dead_letters_total[1h]))", "{{processor}}"]],
    unit: "short",
  },
  {
    title: "PingCount source",
    description: "PingCount answers by store: postgres means Dragonfly was unreachable",
    targets: [["sum by (source) (rate(tributary_ping_count_reads_total[5m]))", "{{source}}"]],
    unit: "reqps",
  },
];

// Grafana's own variable syntax (the dashboard's `datasource` template variable), not a JS template.
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable
const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

/** The dashboard model Grafana imports (schemaVersion 39), two panels per row. */
export function dashboardModel(): object {
  const panels = DASHBOARD_PANELS.map((p, i) => ({
    id: i + 1,
    type: "timeseries",
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { x: (i % 2) * PANEL_WIDTH, y: Math.floor(i / 2) * PANEL_HEIGHT, w: PANEL_WIDTH, h: PANEL_HEIGHT },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
    targets: p.targets.map(([expr, legendFormat], t) => ({
      refId: String.fromCharCode(65 + t),
      datasource: DATASOURCE,
      expr,
      legendFormat,
    })),
  }));
  return {
    uid: "tributary-overview",
    title: "Tributary",
    description: "Ingest, lag, freshness, timers, deliveries and dead letters, from the metrics the services export.",
    tags: ["tributary"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Prometheus" }] },
    panels,
  };
}

/** k8s/monitoring/grafana/tributary.json: for importing by hand. */
export function renderDashboardJson(): string {
  return `${JSON.stringify(dashboardModel(), null, 2)}\n`;
}

/** k8s/monitoring/grafana-dashboard.yaml: the same JSON in a ConfigMap for Grafana's sidecar. */
export function renderDashboardConfigMap(): string {
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "tributary-grafana-dashboard",
      labels: { grafana_dashboard: "1", "app.kubernetes.io/part-of": "tributary" },
    },
    data: { "tributary.json": renderDashboardJson() },
  };
  return `${serviceManifestHeader().replace("services/registry.ts (and the service's config.ts)", "k8s/generate/grafana-dashboard.ts")}\n${stringify(body, { lineWidth: 0 })}`;
}
