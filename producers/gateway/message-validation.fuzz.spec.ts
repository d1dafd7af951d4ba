import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CloudEvent,
  type CloudEventAttributeValue,
  CloudEventAttributeValueSchema,
  CloudEventSchema,
} from "../../gen/messages/v1/cloud_event_pb.js";
import { EnvReader } from "../../runtime/config/env-reader.js";
import { TributaryError } from "../../runtime/errors.js";
import { readMessageServiceConfig } from "./message-config.js";
import { validateIds, validatePutBatch } from "./message-validation.js";

const config = readMessageServiceConfig(new EnvReader({}));

/** Accepted, or invalid_argument naming `msgs`, `msgs[i]`, `msgs[i].<attribute path>` or `ids[i]`. */
function acceptedOrNamed(fn: () => void): TributaryError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(TributaryError);
    const e = err as TributaryError;
    expect(e.code).toBe("invalid_argument");
    expect(e.field ?? "", e.message).toMatch(/^(msgs|ids)(\[\d+\](\..+)?)?$/s);
    return e;
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", " ", "1.0", "0.3", "a\u0000b", "\ud800", "time", "Time", "x".repeat(300)),
);
const attrValue: fc.Arbitrary<CloudEventAttributeValue> = fc
  .oneof(
    fc.record({ case: fc.constant("ceBoolean" as const), value: fc.boolean() }),
    fc.record({ case: fc.constant("ceInteger" as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ case: fc.constant("ceString" as const), value: text }),
    fc.record({ case: fc.constant("ceBytes" as const), value: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ case: fc.constant("ceUri" as const), value: text }),
    fc.record({
      case: fc.constant("ceTimestamp" as const),
      value: fc
        .record({
          seconds: fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
          nanos: fc.integer({ min: -2, max: 1_000_000_001 }),
        })
        .map((t) => ({ $typeName: "google.protobuf.Timestamp" as const, ...t })),
    }),
    fc.constant({ case: undefined }),
  )
  .map((attr) =>
    create(CloudEventAttributeValueSchema, { attr } as Parameters<
      typeof create<typeof CloudEventAttributeValueSchema>
    >[1]),
  );
const event: fc.Arbitrary<CloudEvent> = fc
  .record({
    id: fc.oneof(text, fc.uuid()),
    source: text,
    specVersion: fc.oneof(fc.constant("1.0"), text),
    type: text,
    attributes: fc.dictionary(fc.oneof(fc.constantFrom("time", "subject", "a1"), text), attrValue, { maxKeys: 3 }),
  })
  .map((e) => create(CloudEventSchema, e));

describe("CloudEvent validation (fuzzed)", () => {
  it("accepts a batch or names the first bad field", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 4 }), (msgs) => {
        const error = acceptedOrNamed(() => validatePutBatch(msgs, config));
        if (error !== undefined) return;
        // What is accepted is storable: the sink's text columns cannot hold U+0000.
        for (const e of msgs) expect(`${e.id}${e.source}${e.type}`).not.toContain("\u0000");
      }),
      { numRuns: 3_000 },
    );
  });

  it("accepts ids or names the bad one", () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 5 }), (ids) => {
        if (acceptedOrNamed(() => validateIds(ids, config)) === undefined) {
          for (const id of ids) expect(id).not.toContain("\u0000");
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses U+0000 in id, source and type, naming the field", () => {
    const good = { id: "e1", source: "s", specVersion: "1.0", type: "t" };
    for (const field of ["id", "source", "type"] as const) {
      const bad = create(CloudEventSchema, { ...good, [field]: "a\u0000b" });
      expect(acceptedOrNamed(() => validatePutBatch([bad], config))?.field).toBe(`msgs[0].${field}`);
    }
    expect(acceptedOrNamed(() => validateIds(["ok", "a\u0000"], config))?.field).toBe("ids[1]");
  });
});
