import { afterAll, describe, expect, it } from "vitest";
import { SchemaRegistryClient } from "../../runtime/serde/schema-registry-client.js";
import { stackEnv, uniqueId } from "../helpers/stack-env.js";

// Issue 16: the registry kept no compatibility level per subject, so any change was accepted.
const subject = `${uniqueId("compat")}.pings-value`;
const registry = new SchemaRegistryClient(stackEnv.SCHEMA_REGISTRY_URL);
const proto = (fields: string) => `syntax = "proto3";\npackage compat.v1;\nmessage Ping {\n${fields}}\n`;
const V1 = proto("  string id = 1;\n  int64 timestamp_ms = 2;\n");

afterAll(async () => {
  const base = stackEnv.SCHEMA_REGISTRY_URL;
  await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: "DELETE" });
  await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: "DELETE" });
});

describe("schema registration sets BACKWARD compatibility per subject", () => {
  it("sets the level on the subject when registering", async () => {
    await registry.register(subject, V1);
    expect(await registry.compatibilityOf(subject)).toBe("BACKWARD");
  });

  it("refuses a version that changes a field's type, naming the subject", async () => {
    const changedType = proto("  string id = 1;\n  string timestamp_ms = 2;\n");
    await expect(registry.register(subject, changedType)).rejects.toThrow(
      new RegExp(`schema for ${subject.replace(/\./g, "\\.")} is not BACKWARD-compatible`),
    );
  });

  it("accepts a version that adds a field", async () => {
    const first = await registry.register(subject, V1);
    const added = await registry.register(
      subject,
      proto("  string id = 1;\n  int64 timestamp_ms = 2;\n  string note = 3;\n"),
    );
    expect(added).not.toBe(first);
  });
});
