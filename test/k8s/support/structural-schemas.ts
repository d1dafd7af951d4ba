import { Ajv } from "ajv";
import { formatAjvErrors } from "./ajv-errors.js";
import type { ResourceValidator } from "./crd-validators.js";

/**
 * Structural schemas for the custom resources whose CRDs are not in ../shared/k8s-schemas
 * (CloudNativePG ScheduledBackup, the barman-cloud plugin's ObjectStore, Prometheus Operator
 * PodMonitor and PrometheusRule). Written from the upstream API references for the fields
 * k8s/ uses; they are stricter than the CRDs on purpose (unknown fields refused), so a typo
 * fails. When the real CRD is added to crdFiles, it replaces the schema here.
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: "string", minLength: 1 };
const ref: Schema = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: { name: str, key: str },
};
const selector: Schema = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    matchLabels: { type: "object", additionalProperties: { type: "string" } },
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "operator"],
        additionalProperties: false,
        properties: {
          key: str,
          operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
          values: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
};
const duration: Schema = { type: "string", pattern: "^([0-9]+(ms|s|m|h|d|w|y))+$" };

function resource(spec: Schema): Schema {
  return {
    type: "object",
    required: ["apiVersion", "kind", "metadata", "spec"],
    properties: { apiVersion: str, kind: str, metadata: { type: "object" }, spec },
  };
}

function object(required: string[], properties: Record<string, Schema>): Schema {
  return { type: "object", required, additionalProperties: false, properties };
}

const SCHEMAS: Readonly<Record<string, Schema>> = {
  "postgresql.cnpg.io/v1/ScheduledBackup": resource(
    object(["schedule", "cluster"], {
      // Six cron fields (seconds first), or @every/@daily style.
      schedule: { type: "string", pattern: "^(@\\w+.*|(\\S+\\s+){5}\\S+)$" },
      immediate: { type: "boolean" },
      suspend: { type: "boolean" },
      backupOwnerReference: { enum: ["none", "self", "cluster"] },
      cluster: object(["name"], { name: str }),
      method: { enum: ["barmanObjectStore", "volumeSnapshot", "plugin"] },
      target: { enum: ["primary", "prefer-standby"] },
      pluginConfiguration: object(["name"], { name: str, parameters: { type: "object" } }),
      online: { type: "boolean" },
    }),
  ),
  "barmancloud.cnpg.io/v1/ObjectStore": resource(
    object(["configuration"], {
      retentionPolicy: { type: "string", pattern: "^[1-9][0-9]*[dwm]$" },
      instanceSidecarConfiguration: { type: "object" },
      configuration: object(["destinationPath"], {
        destinationPath: { type: "string", pattern: "^(s3|gs|https?)://" },
        endpointURL: str,
        endpointCA: ref,
        serverName: str,
        s3Credentials: {
          type: "object",
          additionalProperties: false,
          properties: {
            accessKeyId: ref,
            secretAccessKey: ref,
            region: ref,
            sessionToken: ref,
            inheritFromIAMRole: { type: "boolean" },
          },
        },
        azureCredentials: { type: "object" },
        googleCredentials: { type: "object" },
        wal: object([], {
          compression: { enum: ["bzip2", "gzip", "lz4", "snappy", "xz", "zstd"] },
          maxParallel: { type: "integer", minimum: 1 },
        }),
        data: object([], {
          compression: { enum: ["bzip2", "gzip", "lz4", "snappy", "xz", "zstd"] },
          jobs: { type: "integer", minimum: 1 },
        }),
      }),
    }),
  ),
  "monitoring.coreos.com/v1/PodMonitor": resource(
    object(["selector", "podMetricsEndpoints"], {
      selector,
      namespaceSelector: { type: "object" },
      podMetricsEndpoints: {
        type: "array",
        minItems: 1,
        items: object(["port"], { port: str, path: { type: "string", pattern: "^/" }, interval: duration }),
      },
    }),
  ),
  "monitoring.coreos.com/v1/PrometheusRule": resource(
    object(["groups"], {
      groups: {
        type: "array",
        minItems: 1,
        items: object(["name", "rules"], {
          name: str,
          interval: duration,
          rules: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              additionalProperties: false,
              required: ["expr"],
              oneOf: [{ required: ["alert"] }, { required: ["record"] }],
              properties: {
                alert: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9]*$" },
                record: { type: "string", pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*$" },
                expr: str,
                for: duration,
                labels: { type: "object", additionalProperties: { type: "string" } },
                annotations: { type: "object", additionalProperties: { type: "string" } },
              },
            },
          },
        }),
      },
    }),
  ),
};

/** Validators for the kinds above, keyed `<group>/<version>/<Kind>` like the CRD validators. */
export function structuralValidators(): Map<string, ResourceValidator> {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return new Map(
    Object.entries(SCHEMAS).map(([key, schema]) => {
      const compiled = ajv.compile(schema);
      return [key, (body: unknown) => (compiled(body) ? [] : formatAjvErrors(compiled.errors))];
    }),
  );
}

/** The kinds validated structurally only (no upstream CRD in ../shared/k8s-schemas). */
export const STRUCTURAL_KINDS: readonly string[] = Object.keys(SCHEMAS);
