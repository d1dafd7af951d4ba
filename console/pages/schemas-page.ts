import type { Reading } from "../reading.js";
import type { SubjectState } from "../sources/schemas.js";
import { downBox, html, type SafeHtml } from "./html.js";
import { liveSection, type Sections } from "./layout.js";

export function schemasSections(subjects: Reading<readonly SubjectState[]>): Sections {
  if (!subjects.ok) return { subjects: downBox("Schema registry", subjects.error) };
  return {
    subjects: html`${subjects.value.map(
      (s) => html`<article class="subject" data-subject="${s.subject}" aria-labelledby="sub-${s.topic}">
<h3 id="sub-${s.topic}">${s.subject} <span class="meta">topic <a href="/topics/${encodeURIComponent(s.topic)}">${s.topic}</a></span></h3>
${
  s.versions.ok
    ? html`<p class="meta">${s.versions.value.length} version(s): ${s.versions.value.map((v) => `v${v.version} (id ${v.id})`).join(", ")}</p>
${s.versions.value
  .slice()
  .reverse()
  .map(
    (v, i) =>
      html`<details${i === 0 ? html` open` : ""}><summary>v${v.version} · id ${v.id}${i === 0 ? " · latest" : ""}</summary><pre class="proto" tabindex="0">${v.schema}</pre></details>`,
  )}`
    : downBox(s.subject, s.versions.error)
}
</article>`,
    )}`,
  };
}

export function schemasBody(sections: Sections): SafeHtml {
  return liveSection("subjects", "Registry subjects", sections.subjects ?? html``);
}
