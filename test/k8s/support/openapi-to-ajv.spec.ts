import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { toAjvSchema } from "./openapi-to-ajv.js";

function validator(schema: Record<string, unknown>): (value: unknown) => boolean {
  const validate = new Ajv({ strict: false }).compile(toAjvSchema(schema));
  return (value) => validate(value);
}

describe("toAjvSchema", () => {
  it("rejects unknown fields of objects that declare their properties", () => {
    const valid = validator({ type: "object", properties: { spec: { type: "object", properties: { a: {} } } } });
    expect(valid({ spec: { a: 1 } })).toBe(true);
    expect(valid({ spec: { b: 1 } })).toBe(false);
  });

  it("keeps objects open where the CRD preserves unknown fields or maps with additionalProperties", () => {
    const valid = validator({
      type: "object",
      properties: {
        config: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { a: {} } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        free: { type: "object" },
      },
    });
    expect(valid({ config: { b: 1 }, labels: { x: "y" }, free: { anything: [1] } })).toBe(true);
    expect(valid({ labels: { x: 1 } })).toBe(false);
  });

  it("accepts integers and strings for x-kubernetes-int-or-string, nothing else", () => {
    const valid = validator({ "x-kubernetes-int-or-string": true });
    expect(valid(8080)).toBe(true);
    expect(valid("http")).toBe(true);
    expect(valid(true)).toBe(false);
  });

  it("accepts null where the schema is nullable", () => {
    const valid = validator({ type: "object", properties: { a: { type: "string", nullable: true } } });
    expect(valid({ a: null })).toBe(true);
    expect(valid({ a: 1 })).toBe(false);
  });

  it("leaves anyOf/oneOf branches open: they only add constraints to the declared object", () => {
    const valid = validator({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      oneOf: [{ type: "object", properties: { a: {} }, required: ["a"] }, { required: ["b"] }],
    });
    expect(valid({ a: "x" })).toBe(true);
    expect(valid({ b: "x" })).toBe(true);
    expect(valid({ a: "x", b: "y" })).toBe(false);
  });
});
