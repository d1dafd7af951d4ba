import { describe, expect, it } from "vitest";
import { parseUrlTemplate, renderUrl } from "./postback-template.js";

const render = (template: string, data: Record<string, unknown>) =>
  renderUrl(parseUrlTemplate(template, "endpoint.url"), data, "data[0]");

describe("URL template rules", () => {
  it.each([
    // [rule, template, data, expected]
    [
      "replaces each key by its URL-encoded value",
      "https://p.example/t?c={campaign}&u={user}",
      { campaign: "c1", user: "u 1" },
      "https://p.example/t?c=c1&u=u%201",
    ],
    [
      "encodes reserved characters",
      "https://p.example/?q={q}",
      { q: "a&b=c/d?e#f+g%" },
      "https://p.example/?q=a%26b%3Dc%2Fd%3Fe%23f%2Bg%25",
    ],
    [
      "numbers as their JSON text",
      "https://p.example/?n={n}&f={f}&neg={neg}",
      { n: 42, f: 1.5, neg: -3e-7 },
      "https://p.example/?n=42&f=1.5&neg=-3e-7",
    ],
    [
      "booleans as their JSON text",
      "https://p.example/?t={t}&f={f}",
      { t: true, f: false },
      "https://p.example/?t=true&f=false",
    ],
    ["a missing key becomes empty", "https://p.example/?a={a}&b={missing}", { a: "x" }, "https://p.example/?a=x&b="],
    ["null becomes empty", "https://p.example/?a={a}", { a: null }, "https://p.example/?a="],
    [
      "a key used twice is filled twice",
      "https://p.example/{id}/x?again={id}",
      { id: "7" },
      "https://p.example/7/x?again=7",
    ],
    [
      "braces inside values are data, never re-expanded",
      "https://p.example/?a={a}&b={b}",
      { a: "{b}", b: "{a}" },
      "https://p.example/?a=%7Bb%7D&b=%7Ba%7D",
    ],
    [
      "unicode is percent-encoded as UTF-8",
      "https://p.example/?city={city}&e={e}",
      { city: "Zürich", e: "😀" },
      "https://p.example/?city=Z%C3%BCrich&e=%F0%9F%98%80",
    ],
    ["the empty string is empty", "https://p.example/?a={a}", { a: "" }, "https://p.example/?a="],
    [
      "keys are exact (case, spaces)",
      "https://p.example/?a={User Id}&b={user id}",
      { "User Id": "U", "user id": "u" },
      "https://p.example/?a=U&b=u",
    ],
    ["no placeholders: the URL as it is", "https://p.example/fixed?x=1", { a: "b" }, "https://p.example/fixed?x=1"],
    ["a lone } is literal text", "https://p.example/a}b?x={x}", { x: "1" }, "https://p.example/a}b?x=1"],
    ["inherited keys are not data", "https://p.example/?p={constructor}", {}, "https://p.example/?p="],
  ])("%s", (_rule, template, data, expected) => {
    expect(render(template, data)).toBe(expected);
  });

  it.each([
    ["{} is refused", "https://p.example/?a={}", /empty placeholder/],
    ["an unclosed { is refused", "https://p.example/?a={a", /unclosed "\{"/],
    ["a { inside a placeholder is refused", "https://p.example/?a={a{b}", /inside a placeholder/],
  ])("%s with invalid_argument naming endpoint.url", (_rule, template, message) => {
    expect(() => parseUrlTemplate(template, "endpoint.url")).toThrow(message);
    expect(() => parseUrlTemplate(template, "endpoint.url")).toThrow(
      expect.objectContaining({ code: "invalid_argument", field: "endpoint.url" }),
    );
  });

  it("an object or array cannot fill a placeholder; the error names data[i].key", () => {
    expect(() => render("https://p.example/?a={a}", { a: { nested: 1 } })).toThrow(
      expect.objectContaining({ code: "invalid_argument", field: "data[0].a" }),
    );
    expect(() => render("https://p.example/?a={a}", { a: [1] })).toThrow(/an array/);
  });

  it("lists the distinct keys", () => {
    expect(parseUrlTemplate("https://p.example/{a}/{b}?c={a}", "u").keys).toEqual(["a", "b"]);
  });
});
