import { readFileSync } from "node:fs";
import { TributaryError } from "../errors.js";
import type { EnvReader } from "./env-reader.js";

/** SASL mechanisms the Kafka adapter speaks; Strimzi's `scram-sha-512` listener wants the first. */
export const KAFKA_SASL_MECHANISMS = ["scram-sha-512", "scram-sha-256", "plain"] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/**
 * How a process authenticates to Kafka. Client-neutral (only runtime/kafka maps it onto kafkajs).
 * Default (no variable set): plaintext without SASL, as the local stack's broker listens.
 */
export interface KafkaSecurity {
  /** KAFKA_SASL_MECHANISM (unset: no SASL), with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD(_FILE). */
  readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string };
  /**
   * TLS: on when KAFKA_TLS is "true" or KAFKA_TLS_CA_FILE is set. `ca` (PEM from KAFKA_TLS_CA_FILE,
   * e.g. Strimzi's cluster CA `ca.crt`) replaces the system roots; unset keeps them.
   */
  readonly tls?: { readonly ca?: string };
}

/** Variables readKafkaSecurity reads (part of every service's ENV_VARS through platformEnvVars). */
export const kafkaSecurityEnvVars = [
  "KAFKA_SASL_MECHANISM",
  "KAFKA_SASL_USERNAME",
  "KAFKA_SASL_PASSWORD",
  "KAFKA_SASL_PASSWORD_FILE",
  "KAFKA_TLS",
  "KAFKA_TLS_CA_FILE",
] as const;

/** A file's text for a `*_FILE` variable (mounted Secret); the error names the variable. */
export type ReadTextFile = (path: string) => string;

const readUtf8: ReadTextFile = (path) => readFileSync(path, "utf8");

function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("config_invalid", `invalid configuration: ${field} ${detail}`, { field });
}

function fileText(field: string, path: string, read: ReadTextFile): string {
  try {
    return read(path);
  } catch (err) {
    throw invalid(field, `names a file that cannot be read (${path}): ${err instanceof Error ? err.message : err}`);
  }
}

function readPassword(env: EnvReader, read: ReadTextFile): string {
  const direct = env.has("KAFKA_SASL_PASSWORD");
  const file = env.has("KAFKA_SASL_PASSWORD_FILE");
  if (direct && file) throw invalid("KAFKA_SASL_PASSWORD", "and KAFKA_SASL_PASSWORD_FILE are both set: set one");
  // A mounted Secret file usually ends with a newline that is not part of the password.
  if (file) return fileText("KAFKA_SASL_PASSWORD_FILE", env.string("KAFKA_SASL_PASSWORD_FILE", ""), read).trimEnd();
  if (direct) return env.string("KAFKA_SASL_PASSWORD", "");
  throw invalid("KAFKA_SASL_PASSWORD", "or KAFKA_SASL_PASSWORD_FILE must be set when KAFKA_SASL_MECHANISM is");
}

/** Parses the Kafka security variables; fails naming the variable that is missing or wrong. */
export function readKafkaSecurity(env: EnvReader, read: ReadTextFile = readUtf8): KafkaSecurity {
  let sasl: KafkaSecurity["sasl"];
  if (env.has("KAFKA_SASL_MECHANISM")) {
    const mechanism = env.oneOf("KAFKA_SASL_MECHANISM", "scram-sha-512", KAFKA_SASL_MECHANISMS);
    if (!env.has("KAFKA_SASL_USERNAME")) {
      throw invalid("KAFKA_SASL_USERNAME", "must be set when KAFKA_SASL_MECHANISM is");
    }
    sasl = { mechanism, username: env.string("KAFKA_SASL_USERNAME", ""), password: readPassword(env, read) };
  } else {
    for (const name of ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE"]) {
      if (env.has(name)) throw invalid(name, "is set but KAFKA_SASL_MECHANISM is not (credentials would be ignored)");
    }
  }
  const tlsFlag = env.oneOf("KAFKA_TLS", env.has("KAFKA_TLS_CA_FILE") ? "true" : "false", ["true", "false"]);
  if (tlsFlag === "false" && env.has("KAFKA_TLS_CA_FILE")) {
    throw invalid("KAFKA_TLS_CA_FILE", 'is set but KAFKA_TLS is "false"');
  }
  let tls: KafkaSecurity["tls"];
  if (tlsFlag === "true") {
    tls = env.has("KAFKA_TLS_CA_FILE")
      ? { ca: fileText("KAFKA_TLS_CA_FILE", env.string("KAFKA_TLS_CA_FILE", ""), read) }
      : {};
  }
  if (sasl?.mechanism === "plain" && tls === undefined) {
    throw invalid(
      "KAFKA_SASL_MECHANISM",
      '"plain" sends the password in clear: set KAFKA_TLS_CA_FILE or KAFKA_TLS=true',
    );
  }
  return { ...(sasl === undefined ? {} : { sasl }), ...(tls === undefined ? {} : { tls }) };
}
