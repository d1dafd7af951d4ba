import type { EnvReader } from "../config/env-reader.js";
import type { HostGateOptions } from "./host-gate.js";
import { OutboundPolicy } from "./outbound-policy.js";

/** Settings shared by every service that calls out (postback delivery, callback dispatcher, gateway edge). */
export interface OutboundConfig {
  /**
   * OUTBOUND_ALLOW_CIDRS: comma-separated CIDRs (or single addresses) outbound calls may reach
   * although they are not public. Default none. The local stack sets `127.0.0.1/32` for its own
   * receivers; 0.0.0.0, ::, metadata, private and link-local ranges open only when listed here.
   */
  readonly allowCidrs: readonly string[];
  /** OUTBOUND_ALLOW_HOSTS: names exempt from the name rules (`localhost`, `*.localhost`, metadata names). Default none. */
  readonly allowHosts: readonly string[];
  /** OUTBOUND_MAX_PER_HOST: requests in flight per destination. Default 32. */
  readonly maxConcurrentPerHost: number;
  /**
   * OUTBOUND_MAX_QUEUED_PER_HOST: requests waiting for a destination that looks slow, before
   * further ones fail fast (a healthy destination's overflow just waits). Default 32.
   */
  readonly maxQueuedPerHost: number;
  /** OUTBOUND_SLOW_AFTER_MS: a request in flight longer than this makes its destination look slow. Default 1000. */
  readonly slowAfterMs: number;
  /** OUTBOUND_CIRCUIT_FAILURES: consecutive timeouts/connection errors opening a circuit. Default 5. */
  readonly circuitFailureThreshold: number;
  /** OUTBOUND_CIRCUIT_OPEN_MS: how long an open circuit refuses calls. Default 30000. */
  readonly circuitOpenMs: number;
  /** OUTBOUND_CONNECT_TIMEOUT_MS: bound of TCP connect + TLS handshake. Default 5000. */
  readonly connectTimeoutMs: number;
  /** OUTBOUND_MAX_RESPONSE_BYTES: response body bytes read at most (the rest is dropped). Default 65536. */
  readonly maxResponseBytes: number;
}

export const OUTBOUND_ENV_VARS = [
  "OUTBOUND_ALLOW_CIDRS",
  "OUTBOUND_ALLOW_HOSTS",
  "OUTBOUND_MAX_PER_HOST",
  "OUTBOUND_MAX_QUEUED_PER_HOST",
  "OUTBOUND_SLOW_AFTER_MS",
  "OUTBOUND_CIRCUIT_FAILURES",
  "OUTBOUND_CIRCUIT_OPEN_MS",
  "OUTBOUND_CONNECT_TIMEOUT_MS",
  "OUTBOUND_MAX_RESPONSE_BYTES",
] as const;

export function readOutboundConfig(env: EnvReader): OutboundConfig {
  const config: OutboundConfig = {
    allowCidrs: env.list("OUTBOUND_ALLOW_CIDRS", []),
    allowHosts: env.list("OUTBOUND_ALLOW_HOSTS", []),
    maxConcurrentPerHost: env.int("OUTBOUND_MAX_PER_HOST", 32, { min: 1, max: 10_000 }),
    maxQueuedPerHost: env.int("OUTBOUND_MAX_QUEUED_PER_HOST", 32, { min: 0, max: 100_000 }),
    slowAfterMs: env.int("OUTBOUND_SLOW_AFTER_MS", 1_000, { min: 10, max: 600_000 }),
    circuitFailureThreshold: env.int("OUTBOUND_CIRCUIT_FAILURES", 5, { min: 1, max: 10_000 }),
    circuitOpenMs: env.int("OUTBOUND_CIRCUIT_OPEN_MS", 30_000, { min: 1, max: 86_400_000 }),
    connectTimeoutMs: env.int("OUTBOUND_CONNECT_TIMEOUT_MS", 5_000, { min: 1, max: 600_000 }),
    maxResponseBytes: env.int("OUTBOUND_MAX_RESPONSE_BYTES", 65_536, { min: 0, max: 64 * 1024 * 1024 }),
  };
  // Fails at start, naming the variable, on a CIDR that does not parse.
  outboundPolicy(config);
  return config;
}

export function outboundPolicy(config: Pick<OutboundConfig, "allowCidrs" | "allowHosts">): OutboundPolicy {
  return new OutboundPolicy({ cidrs: config.allowCidrs, hosts: config.allowHosts });
}

export function hostGateOptions(config: OutboundConfig): HostGateOptions {
  return {
    maxConcurrentPerHost: config.maxConcurrentPerHost,
    maxQueuedPerHost: config.maxQueuedPerHost,
    circuitFailureThreshold: config.circuitFailureThreshold,
    circuitOpenMs: config.circuitOpenMs,
    slowAfterMs: config.slowAfterMs,
  };
}
