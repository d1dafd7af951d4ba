import { TributaryError } from "../../runtime/errors.js";

/** A URL template split once into literal text and `{key}` placeholders. */
export type TemplateSegment = { readonly literal: string } | { readonly key: string };

export interface UrlTemplate {
  readonly segments: readonly TemplateSegment[];
  /** Distinct keys the template uses. */
  readonly keys: readonly string[];
}

/**
 * Parses `https://host/p?a={key1}&b={key2}`. Every `{` opens a placeholder that must close with
 * `}` before any other `{`, and must name a key: `{}`, `{a{b}` and an unclosed `{` are refused
 * with invalid_argument naming `field`. A `}` outside a placeholder is literal text.
 */
export function parseUrlTemplate(template: string, field: string): UrlTemplate {
  const segments: TemplateSegment[] = [];
  const keys = new Set<string>();
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open < 0) {
      segments.push({ literal: template.slice(i) });
      break;
    }
    if (open > i) segments.push({ literal: template.slice(i, open) });
    const close = template.indexOf("}", open + 1);
    const nextOpen = template.indexOf("{", open + 1);
    if (close < 0) throw invalid(field, `unclosed "{" at position ${open}`);
    if (nextOpen >= 0 && nextOpen < close) throw invalid(field, `"{" inside a placeholder at position ${nextOpen}`);
    const key = template.slice(open + 1, close);
    if (key === "") throw invalid(field, `empty placeholder "{}" at position ${open}; write {key}`);
    segments.push({ key });
    keys.add(key);
    i = close + 1;
  }
  return { segments, keys: [...keys] };
}

/**
 * Fills a template from one data object in a single pass: a value is percent-encoded
 * (encodeURIComponent: UTF-8, and braces too), so nothing in it is ever read as a placeholder;
 * numbers and booleans become their JSON text; a missing or null key becomes empty; a key used
 * twice is filled twice. An object or array value cannot fill a placeholder: invalid_argument
 * naming `field.key`.
 */
export function renderUrl(template: UrlTemplate, data: Readonly<Record<string, unknown>>, field: string): string {
  let out = "";
  for (const segment of template.segments) {
    if ("literal" in segment) {
      out += segment.literal;
      continue;
    }
    const value = Object.hasOwn(data, segment.key) ? data[segment.key] : undefined;
    out += encodeURIComponent(placeholderText(value, `${field}.${segment.key}`));
  }
  return out;
}

/** In `u` mode a surrogate pair is one code point, so \p{Cs} matches only unpaired halves. */
const LONE_SURROGATE = /\p{Cs}/u;

function placeholderText(value: unknown, field: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") {
    // encodeURIComponent throws URIError on a lone surrogate ("\ud800" is valid JSON): found by
    // fuzzing, it answered `internal` instead of naming the field.
    if (LONE_SURROGATE.test(value))
      throw invalid(field, "holds a lone UTF-16 surrogate; only well-formed text fills a URL");
    return value;
  }
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  throw invalid(
    field,
    `is ${Array.isArray(value) ? "an array" : "an object"}; only strings, numbers and booleans fill a URL placeholder`,
  );
}

function invalid(field: string, detail: string): TributaryError {
  return new TributaryError("invalid_argument", detail, { field });
}
