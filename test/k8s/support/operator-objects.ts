/**
 * The Services and Secrets the operators create from the custom resources in k8s/, so that
 * references to them can be checked without a cluster. Each entry follows the operator's
 * documented naming (Strimzi `<kafka>-kafka-bootstrap`, CloudNativePG `<cluster>-rw` and
 * `<cluster>-app`, Dragonfly `<name>`).
 */
export interface Endpoint {
  readonly ports: ReadonlySet<number>;
  /** What made it: `Service/x` or `Kafka/tributary (Strimzi)`. */
  readonly origin: string;
}

export interface SecretSource {
  readonly keys: ReadonlySet<string>;
  readonly origin: string;
}

interface Cr {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** Keys of CloudNativePG's `<cluster>-app` Secret. */
const CNPG_APP_KEYS = [
  "username",
  "user",
  "password",
  "host",
  "port",
  "dbname",
  "uri",
  "jdbc-uri",
  "pgpass",
  "fqdn-uri",
  "fqdn-jdbc-uri",
];

export function operatorEndpoints(resources: readonly Cr[]): Map<string, Endpoint> {
  const endpoints = new Map<string, Endpoint>();
  for (const cr of resources) {
    const name = cr.metadata?.name ?? "";
    if (cr.kind === "Kafka") {
      const kafka = cr.spec?.kafka as { listeners?: { port: number; type?: string }[] } | undefined;
      const ports = new Set((kafka?.listeners ?? []).filter((l) => l.type === "internal").map((l) => l.port));
      const origin = `Kafka/${name} (Strimzi)`;
      endpoints.set(`${name}-kafka-bootstrap`, { ports, origin });
      endpoints.set(`${name}-kafka-brokers`, { ports, origin });
    }
    if (cr.kind === "Cluster") {
      for (const suffix of ["rw", "ro", "r"]) {
        endpoints.set(`${name}-${suffix}`, { ports: new Set([5432]), origin: `Cluster/${name} (CloudNativePG)` });
      }
    }
    if (cr.kind === "Dragonfly") {
      const memcached = cr.spec?.memcachedPort as number | undefined;
      const ports = new Set([6379, ...(memcached === undefined ? [] : [memcached])]);
      endpoints.set(name, { ports, origin: `Dragonfly/${name} (Dragonfly operator)` });
    }
  }
  return endpoints;
}

export function operatorSecrets(resources: readonly Cr[]): Map<string, SecretSource> {
  const secrets = new Map<string, SecretSource>();
  for (const cr of resources) {
    const name = cr.metadata?.name ?? "";
    if (cr.kind === "KafkaUser") {
      // Strimzi's User Operator: Secret `<user>` with the SCRAM password and a JAAS line.
      secrets.set(name, { keys: new Set(["password", "sasl.jaas.config"]), origin: `KafkaUser/${name} (Strimzi)` });
      continue;
    }
    if (cr.kind === "Kafka") {
      secrets.set(`${name}-cluster-ca-cert`, {
        keys: new Set(["ca.crt", "ca.p12", "ca.password"]),
        origin: `Kafka/${name} (Strimzi)`,
      });
      continue;
    }
    if (cr.kind !== "Cluster") continue;
    const origin = `Cluster/${name} (CloudNativePG)`;
    const initdb = (cr.spec?.bootstrap as { initdb?: { secret?: unknown } } | undefined)?.initdb;
    // With bootstrap.initdb.secret the app credentials are the user's Secret, not the operator's.
    if (initdb?.secret === undefined) secrets.set(`${name}-app`, { keys: new Set(CNPG_APP_KEYS), origin });
    if (cr.spec?.enableSuperuserAccess === true) {
      secrets.set(`${name}-superuser`, { keys: new Set(CNPG_APP_KEYS), origin });
    }
  }
  return secrets;
}
