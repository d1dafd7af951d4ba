import { type ServiceName, serviceEntry } from "../../services/registry.js";
import { entryPointOf } from "../../services/service-entry.js";

/** The compiled entry point of a registered service (services/registry.ts), for ServiceProcess.start. */
export function entryOf(name: ServiceName): string {
  return entryPointOf(serviceEntry(name));
}
