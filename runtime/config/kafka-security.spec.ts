import { describe, expect, it } from "vitest";
import { EnvReader } from "./env-reader.js";
import { readKafkaSecurity } from "./kafka-security.js";

const files: Record<string, string> = {
  "/secrets/password": "s3cret\n",
  "/ca/ca.crt": "-----BEGIN CERTIFICATE-----\nX\n",
};
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};
const parse = (env: Record<string, string>) => readKafkaSecurity(new EnvReader(env), read);

describe("Kafka security from the environment", () => {
  it("defaults to plaintext without SASL (the local stack)", () => {
    expect(parse({})).toEqual({});
  });

  it("reads SCRAM-SHA-512 over TLS with the password and CA from mounted files (Kubernetes)", () => {
    expect(
      parse({
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "gateway",
        KAFKA_SASL_PASSWORD_FILE: "/secrets/password",
        KAFKA_TLS_CA_FILE: "/ca/ca.crt",
      }),
    ).toEqual({
      sasl: { mechanism: "scram-sha-512", username: "gateway", password: "s3cret" },
      tls: { ca: "-----BEGIN CERTIFICATE-----\nX\n" },
    });
  });

  it("takes a password from KAFKA_SASL_PASSWORD and TLS with system roots from KAFKA_TLS=true", () => {
    expect(
      parse({
        KAFKA_SASL_MECHANISM: "scram-sha-256",
        KAFKA_SASL_USERNAME: "u",
        KAFKA_SASL_PASSWORD: "p",
        KAFKA_TLS: "true",
      }),
    ).toEqual({ sasl: { mechanism: "scram-sha-256", username: "u", password: "p" }, tls: {} });
  });

  it.each([
    [
      { KAFKA_SASL_MECHANISM: "gssapi", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" },
      /KAFKA_SASL_MECHANISM must be one of/,
    ],
    [{ KAFKA_SASL_MECHANISM: "scram-sha-512", KAFKA_SASL_PASSWORD: "p" }, /KAFKA_SASL_USERNAME must be set/],
    [
      { KAFKA_SASL_MECHANISM: "scram-sha-512", KAFKA_SASL_USERNAME: "u" },
      /KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE must be set/,
    ],
    [
      {
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "u",
        KAFKA_SASL_PASSWORD: "p",
        KAFKA_SASL_PASSWORD_FILE: "/secrets/password",
      },
      /both set/,
    ],
    [
      { KAFKA_SASL_MECHANISM: "scram-sha-512", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD_FILE: "/missing" },
      /KAFKA_SASL_PASSWORD_FILE names a file that cannot be read \(\/missing\)/,
    ],
    [{ KAFKA_TLS_CA_FILE: "/missing" }, /KAFKA_TLS_CA_FILE names a file that cannot be read/],
    [{ KAFKA_TLS: "yes" }, /KAFKA_TLS must be one of true, false/],
    [{ KAFKA_TLS: "false", KAFKA_TLS_CA_FILE: "/ca/ca.crt" }, /KAFKA_TLS_CA_FILE is set but KAFKA_TLS is "false"/],
    [{ KAFKA_SASL_USERNAME: "u" }, /KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not/],
    [
      { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" },
      /sends the password in clear/,
    ],
  ])("rejects %j naming the variable", (env, message) => {
    expect(() => parse(env)).toThrow(message);
  });
});
