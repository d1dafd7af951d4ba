/** A host and port named in a configuration value (URL, JDBC URL or Kafka bootstrap list). */
export interface HostReference {
  readonly host: string;
  readonly port: number;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  redis: 6379,
  rediss: 6379,
  postgres: 5432,
  postgresql: 5432,
  kafka: 9092,
};

const URL_PATTERN = /\b([a-z][a-z0-9+.-]*):\/\/(?:[^@/\s]*@)?([A-Za-z0-9.-]+)(?::(\d+))?/g;
const HOST_PORT_LIST = /^[A-Za-z0-9.-]+:\d+(,[A-Za-z0-9.-]+:\d+)*$/;

/**
 * The hosts a value points at: every `scheme://host[:port]` in it (`jdbc:postgresql://` too; the
 * scheme's default port when none is given), or a `host:port[,host:port]` list (KAFKA_BROKERS).
 * Values that name no host (ports, flags, 0.0.0.0 listen addresses) give none.
 */
export function hostReferences(value: string): HostReference[] {
  const trimmed = value.trim();
  if (HOST_PORT_LIST.test(trimmed)) {
    return trimmed.split(",").map((pair) => {
      const [host = "", port = ""] = pair.split(":");
      return { host, port: Number(port) };
    });
  }
  const references: HostReference[] = [];
  for (const match of trimmed.matchAll(URL_PATTERN)) {
    const [, scheme = "", host = "", port] = match;
    const defaultPort = DEFAULT_PORTS[scheme];
    if (port === undefined && defaultPort === undefined) continue;
    references.push({ host, port: port === undefined ? (defaultPort as number) : Number(port) });
  }
  return references;
}

/**
 * The Service name a host means inside `namespace` (`x`, `x.ns`, `x.ns.svc`,
 * `x.ns.svc.cluster.local`), or undefined for a host outside it.
 */
export function serviceNameOf(host: string, namespace: string): string | undefined {
  const [name = "", ...rest] = host.toLowerCase().split(".");
  const suffix = rest.join(".");
  const local = ["", namespace, `${namespace}.svc`, `${namespace}.svc.cluster.local`];
  return local.includes(suffix) ? name : undefined;
}
