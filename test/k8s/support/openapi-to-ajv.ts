/**
 * Turns a CRD's `openAPIV3Schema` into a JSON schema that ajv validates the way the API server
 * does (structural schemas):
 * - `x-kubernetes-int-or-string` accepts an integer or a string;
 * - `nullable: true` also accepts null;
 * - an object with `properties` and neither `additionalProperties` nor
 *   `x-kubernetes-preserve-unknown-fields` rejects other fields. The API server prunes unknown
 *   fields (and `kubectl apply` refuses them with strict field validation), so a misspelled
 *   field would silently be dropped; here it fails the test instead. Branches of
 *   anyOf/oneOf/allOf/not (and everything below them) only add constraints, so they stay open.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
export type JsonSchema = { [key: string]: unknown };

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function toAjvSchema(schema: JsonSchema): JsonSchema {
  return convert(schema, false);
}

function convert(schema: JsonSchema, inJunction: boolean): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && isSchema(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, isSchema(sub) ? convert(sub, inJunction) : sub]),
      );
    } else if ((key === "items" || key === "additionalProperties") && isSchema(value)) {
      out[key] = convert(value, inJunction);
    } else if ((key === "anyOf" || key === "oneOf" || key === "allOf") && Array.isArray(value)) {
      out[key] = value.map((sub: unknown) => (isSchema(sub) ? convert(sub, true) : sub));
    } else if (key === "not" && isSchema(value)) {
      out.not = convert(value, true);
    } else {
      out[key] = value;
    }
  }
  if (out["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    if (out.anyOf === undefined) out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  const closeable =
    !inJunction &&
    out.type === "object" &&
    isSchema(out.properties) &&
    out.additionalProperties === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true;
  if (closeable) out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [{ type: "null" }, out] };
  }
  return out;
}
