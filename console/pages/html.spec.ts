import { describe, expect, it } from "vitest";
import { html, raw, sparkline } from "./html.js";

describe("html template", () => {
  it("escapes interpolated text, keeps SafeHtml and arrays of it", () => {
    const name = `<script>alert("x")</script>&'`;
    const out = html`<p title="${name}">${name}${[html`<b>${"1<2"}</b>`, raw("<i>ok</i>")]}</p>`.text;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;<b>1&lt;2</b><i>ok</i></p>',
    );
  });

  it("drops null, undefined and false", () => {
    expect(html`a${null}${undefined}${false}b`.text).toBe("ab");
  });

  it("draws a sparkline scaled to its largest value", () => {
    const svg = sparkline([0, 5, 10], "rate").text;
    expect(svg).toContain('points="0.0,22.0 60.0,12.0 120.0,2.0"');
    expect(svg).toContain('aria-label="rate"');
  });
});
