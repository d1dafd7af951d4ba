import { TributaryError } from "../errors.js";

/** Every scope a key can hold; each front-door method requires exactly one (see method-scopes). */
export const SCOPES = [
  "ping:write",
  "ping:read",
  "txn:write",
  "txn:read",
  "notify:write",
  "postback:write",
  "messages:write",
  "messages:read",
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `a,b,c` → scopes, refusing an unknown or empty one by name (field `scopes`). */
export function parseScopes(text: string): Scope[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) {
    throw new TributaryError("invalid_argument", `at least one scope is required (${SCOPES.join(", ")})`, {
      field: "scopes",
    });
  }
  for (const name of names) {
    if (!isScope(name)) {
      throw new TributaryError("invalid_argument", `unknown scope "${name}"; known: ${SCOPES.join(", ")}`, {
        field: "scopes",
      });
    }
  }
  return [...new Set(names as Scope[])];
}
