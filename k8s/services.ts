import * as callbackDispatcher from "../processors/callback-dispatcher/config.js";
import * as pingCounter from "../processors/ping-counter/config.js";
import * as transactionTimer from "../processors/transaction-timer/config.js";
import * as gateway from "../producers/gateway/config.js";
import * as pingsSink from "../sinks/pings/config.js";
import * as transactionsSink from "../sinks/transactions/config.js";

/** What every service's `config.ts` exports (beside its `main.ts`). */
export interface ServiceConfigModule {
  /** Also the name of its Deployment, Service, container and PodDisruptionBudget. */
  readonly SERVICE_NAME: string;
  /** Port of the HTTP server (health, readiness, metrics, APIs) unless HTTP_PORT says otherwise. */
  readonly DEFAULT_HTTP_PORT: number;
  /** Every environment variable the service reads; a manifest may set no other. */
  readonly ENV_VARS: readonly string[];
}

export interface DeployedService {
  /** Folder of `main.ts` and `config.ts`, relative to the repository root. */
  readonly dir: string;
  readonly config: ServiceConfigModule;
}

/**
 * Every Tributary service that runs on Kubernetes: one Deployment each in k8s/services/.
 * To add a service: import its config here, add a line, and add `k8s/services/<name>.yaml`
 * (copy a sibling). The manifest tests then check its env vars, ports and probes.
 */
export const deployedServices: readonly DeployedService[] = [
  { dir: "producers/gateway", config: gateway },
  { dir: "processors/ping-counter", config: pingCounter },
  { dir: "sinks/pings", config: pingsSink },
  { dir: "processors/transaction-timer", config: transactionTimer },
  { dir: "processors/callback-dispatcher", config: callbackDispatcher },
  { dir: "sinks/transactions", config: transactionsSink },
];

/**
 * Folders with a `main.ts` that are deliberately not deployed (tools run by hand), each with
 * the reason. Any other `main.ts` under producers/, processors/ or sinks/ must be deployed.
 */
export const notDeployed: readonly { readonly dir: string; readonly reason: string }[] = [];

export type ServiceRole = "producer" | "processor" | "sink";

export function roleOf(service: DeployedService): ServiceRole {
  const top = service.dir.split("/")[0];
  if (top === "producers") return "producer";
  if (top === "processors") return "processor";
  if (top === "sinks") return "sink";
  throw new Error(`service folder ${service.dir} is not under producers/, processors/ or sinks/`);
}

/** The compiled entry point inside the image, as the Deployment's command names it. */
export function entryPointOf(service: DeployedService): string {
  return `dist/${service.dir}/main.js`;
}
