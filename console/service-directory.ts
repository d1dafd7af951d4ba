import type { DataTopicName } from "../runtime/catalog/catalog.js";
import { serviceRegistry } from "../services/registry.js";
import type { ServiceRole } from "../services/service-entry.js";
import type { ConsoleConfig } from "./config.js";

/** A service as the console sees it: where its HTTP server is and which offsets it stores. */
export interface ServiceView {
  readonly name: string;
  readonly role: ServiceRole;
  readonly url: string;
  readonly readinessPath: string;
  /** Consumer group (Postgres offsets are stored under it); undefined for producers. */
  readonly group: string | undefined;
  readonly reads: readonly DataTopicName[];
}

/**
 * Every registered service but the console itself, with its URL: CONSOLE_SERVICE_URLS, else the
 * template with the service's default port (a stack started with other ports sets CONSOLE_SERVICE_URLS).
 */
export function serviceDirectory(config: ConsoleConfig): ServiceView[] {
  return serviceRegistry
    .filter((s) => s.name !== "console")
    .map((s) => {
      const port = String(s.config.DEFAULT_HTTP_PORT);
      const url =
        config.serviceUrls.get(s.name) ??
        config.serviceUrlTemplate.replaceAll("{name}", s.name).replaceAll("{port}", port);
      return {
        name: s.name,
        role: s.role,
        url: url.replace(/\/+$/, ""),
        readinessPath: s.probes.readinessPath,
        group: config.serviceGroups.get(s.name) ?? s.kafka.group,
        reads: s.kafka.reads,
      };
    });
}
