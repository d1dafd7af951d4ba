import { createHmac } from "node:crypto";
import { TributaryError } from "../../runtime/errors.js";

const SECRET_PREFIX = "whsec_";

/** A signing key: the bytes behind a Standard Webhooks secret (`whsec_` + base64). */
export type SigningKey = Buffer;

/**
 * Parses Standard Webhooks secrets (`whsec_<base64 of 24 to 64 random bytes>`). Several secrets
 * make a rotation: every one signs, so receivers holding the old or the new secret both verify.
 */
export function parseSigningSecrets(secrets: readonly string[], field: string): SigningKey[] {
  return secrets.map((secret, i) => {
    const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : "";
    const key = Buffer.from(body, "base64");
    if (body === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || key.length < 24 || key.length > 64) {
      throw new TributaryError(
        "config_invalid",
        `invalid configuration: ${field} entry ${i + 1} must be "whsec_" + base64 of 24 to 64 bytes`,
        { field },
      );
    }
    return key;
  });
}

/**
 * The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per key,
 * space-separated (Standard Webhooks). `timestampS` is the `webhook-timestamp` header (seconds).
 */
export function webhookSignature(keys: readonly SigningKey[], id: string, timestampS: number, body: string): string {
  const content = `${id}.${timestampS}.${body}`;
  return keys.map((key) => `v1,${createHmac("sha256", key).update(content).digest("base64")}`).join(" ");
}
