import type { Reading } from "../reading.js";
import type { PingCounts } from "../sources/pings.js";
import { downBox, html, number, raw, type SafeHtml, table } from "./html.js";
import { liveSection, type Sections } from "./layout.js";

/** uPlot data: [x seconds, counts]. */
export function pingChartData(counts: PingCounts): [number[], number[]] {
  return [counts.minutes.map((m) => m.minute * 60), counts.minutes.map((m) => m.count)];
}

export function pingsSections(counts: Reading<PingCounts>): Sections {
  if (!counts.ok) return { summary: downBox("PingCount (gateway)", counts.error), minutes: html`` };
  const c = counts.value;
  const inRange = c.minutes.reduce((n, m) => n + m.count, 0);
  const nonZero = c.minutes.filter((m) => m.count > 0).reverse();
  return {
    summary: html`<dl class="stats">
<div><dt>Total pings</dt><dd data-field="total">${number(c.total)}</dd></div>
<div><dt>In range</dt><dd data-field="in-range">${number(inRange)}</dd></div>
<div><dt>Answered by</dt><dd data-field="source">${c.source === "dragonfly" ? "Dragonfly" : c.source === "postgres" ? "Postgres (fallback)" : c.source}</dd></div>
</dl>`,
    minutes: table(
      "Minutes with pings (newest first)",
      ["minute (UTC)", "count"],
      nonZero
        .slice(0, 120)
        .map(
          (m) =>
            html`<tr data-minute="${m.minute}"><th scope="row">${new Date(m.minute * 60_000).toISOString().slice(0, 16)}</th><td class="num">${number(m.count)}</td></tr>`,
        ),
      "no pings in this range",
    ),
  };
}

export function pingsBody(
  sections: Sections,
  range: { fromMs: number; toMs: number },
  chart: [number[], number[]] | null,
): SafeHtml {
  const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  return html`<form class="filters" method="get" action="/pings">
<label>From (UTC) <input type="datetime-local" name="from" value="${local(range.fromMs)}"></label>
<label>To (UTC) <input type="datetime-local" name="to" value="${local(range.toMs)}"></label>
<button type="submit">Show</button>
<a href="/pings">last hour</a>
</form>
${liveSection("summary", "PingCount", sections.summary ?? html``)}
<section aria-labelledby="h-chart"><h2 id="h-chart">Pings per minute</h2>
<div class="chart" data-chart="pings" role="img" aria-label="Pings per event-time minute from ${local(range.fromMs)} to ${local(range.toMs)} UTC"></div>
<script type="application/json" id="chart-pings">${raw(JSON.stringify(chart ?? [[], []]).replaceAll("<", "\\u003c"))}</script>
</section>
${liveSection("minutes", "Per-minute counts", sections.minutes ?? html``)}`;
}
