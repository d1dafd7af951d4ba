import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../runtime/errors.js";
import { OutboundPolicy } from "../../runtime/outbound/outbound-policy.js";
import type { PostbackLimits } from "./postback-config.js";
import { parsePostbackBody } from "./postback-doors.js";
import { preparePostback } from "./postback-request.js";
import { parseUrlTemplate, renderUrl } from "./postback-template.js";

const LIMITS: PostbackLimits = {
  maxUrlChars: 4_096,
  maxDataObjects: 50,
  maxObjectBytes: 2_048,
  maxRequestBytes: 1 << 20,
};
const policy = new OutboundPolicy({ cidrs: ["127.0.0.1/32"], hosts: [] });

/** Runs `fn`; a throw must be TributaryError(invalid_argument) with a field matching `fieldPattern`. */
function resultOrCode<T>(fn: () => T, fieldPattern: RegExp): T | TributaryError {
  try {
    return fn();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(TributaryError);
    const e = err as TributaryError;
    expect(e.code).toBe("invalid_argument");
    expect(e.field ?? "", e.message).toMatch(fieldPattern);
    return e;
  }
}

/** Strings including lone surrogates, braces and percent signs: what JSON.parse can hand over. */
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.string({ unit: fc.constantFrom("{", "}", "%", "\ud800", "\udc00", "/", "?", "#", "a", "é"), maxLength: 12 }),
);
const jsonValue = fc.jsonValue({ maxDepth: 2 });
/** Few keys, so templates and data objects meet: random keys would almost never fill a placeholder. */
const key = fc.oneof(fc.constantFrom("a", "b", "user id", "é", "}"), text);
const dataObject = fc.dictionary(key, fc.oneof(text, jsonValue), { maxKeys: 5 });
const template = fc
  .array(
    fc.oneof(
      text,
      key.map((k) => `{${k}}`),
    ),
    { maxLength: 5 },
  )
  .map((parts) => `http://127.0.0.1:9/${parts.join("")}`);

describe("postback templates and requests (fuzzed)", () => {
  it("parses any template text to segments or invalid_argument naming the field", () => {
    fc.assert(
      fc.property(text, (t) => {
        resultOrCode(() => parseUrlTemplate(t, "endpoint.url"), /^endpoint\.url$/);
      }),
      { numRuns: 3_000 },
    );
  });

  it("renders any data object into a parsable template: a URL or invalid_argument naming data[0].<key>", () => {
    fc.assert(
      fc.property(template, dataObject, (t, data) => {
        const parsed = resultOrCode(() => parseUrlTemplate(t, "endpoint.url"), /^endpoint\.url$/);
        if (parsed instanceof TributaryError) return;
        const url = resultOrCode(() => renderUrl(parsed, data, "data[0]"), /^data\[0\]\./);
        // A rendered value never opens a placeholder or breaks out of its segment.
        if (typeof url === "string") expect(url.length).toBeGreaterThan(0);
      }),
      { numRuns: 3_000 },
    );
  });

  it("renders every string value percent-encoded, so it decodes back to itself", () => {
    const wellFormed = fc.string({ unit: "grapheme", maxLength: 20 });
    fc.assert(
      fc.property(wellFormed, (value) => {
        const url = renderUrl(parseUrlTemplate("http://h/?v={v}", "u"), { v: value }, "data[0]");
        expect(decodeURIComponent(url.slice("http://h/?v=".length))).toBe(value);
      }),
      { numRuns: 1_000 },
    );
  });

  it("validates any JSON body as a whole: deliveries or invalid_argument naming the field", () => {
    const endpoint = fc.record(
      {
        method: fc.oneof(fc.constantFrom("GET", "post", " PUT ", "TRACE", ""), text, jsonValue),
        url: fc.oneof(template, text, fc.webUrl(), jsonValue),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record(
        {
          endpoint: fc.oneof(endpoint, jsonValue),
          data: fc.oneof(fc.array(fc.oneof(dataObject, jsonValue), { maxLength: 4 }), jsonValue),
        },
        { requiredKeys: [] },
      ),
      jsonValue,
      fc.record({ endpoint, data: fc.array(dataObject, { maxLength: 3 }), extra: jsonValue }),
    );
    fc.assert(
      fc.property(body, (b) => {
        const input = resultOrCode(() => parsePostbackBody(b), /^(body|endpoint|endpoint\..+|data|.+)$/s);
        if (input instanceof TributaryError) return;
        const prepared = resultOrCode(
          () => preparePostback(input, LIMITS, policy),
          /^(endpoint\.(url|method)|data|data\[\d+\](\..*)?)$/s,
        );
        if (!(prepared instanceof TributaryError)) expect(prepared.deliveries.length).toBe(input.data.length);
      }),
      { numRuns: 3_000 },
    );
  });

  it("names the field for the two cases fuzzing found: a lone surrogate value and an empty key", () => {
    const lone = resultOrCode(
      () => renderUrl(parseUrlTemplate("http://h/{v}", "u"), { v: "x\udc00" }, "data[3]"),
      /^data\[3\]\.v$/,
    );
    expect(lone).toBeInstanceOf(TributaryError);
    const emptyKey = resultOrCode(() => parsePostbackBody({ "": 1 }), /^""$/);
    expect(emptyKey).toBeInstanceOf(TributaryError);
    const emptyEndpointKey = resultOrCode(
      () => parsePostbackBody({ endpoint: { method: "GET", url: "http://h/", "": 1 }, data: [] }),
      /^endpoint\.""$/,
    );
    expect(emptyEndpointKey).toBeInstanceOf(TributaryError);
  });
});
