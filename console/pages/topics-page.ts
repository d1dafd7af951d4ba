import type { BrowseResult } from "../sources/browse.js";
import type { TopicState } from "../sources/topics.js";
import { downBox, html, number, type SafeHtml, table } from "./html.js";
import { liveSection, type Sections } from "./layout.js";
import { DLQ_RECORD_HEAD, RECORD_HEAD, recordRow } from "./record-rows.js";

export function topicListSections(topics: readonly TopicState[]): Sections {
  return {
    list: table(
      "Catalog topics",
      ["topic", "message type", "partitions", "records held", "description"],
      topics.map(
        (t) => html`<tr><th scope="row"><a href="/topics/${encodeURIComponent(t.name)}">${t.name}</a></th>
<td><code>${t.spec.message?.typeName ?? "original bytes + tributary.dlq.* headers"}</code></td>
<td class="num">${t.spec.partitions}</td>
<td class="num">${t.offsets.ok ? number(t.records) : html`${downBox("Kafka", t.offsets.error)}`}</td>
<td>${t.spec.description}</td></tr>`,
      ),
    ),
  };
}

export function topicListBody(sections: Sections): SafeHtml {
  return liveSection("list", "Topics", sections.list ?? html``);
}

export function browseOffsetsSection(offsets: BrowseResult["offsets"]): SafeHtml {
  return html`<p class="meta" data-field="offsets">${offsets.map((o) => html`<span class="pill">p${o.partition}: ${o.low}…${o.high}</span> `)}</p>`;
}

function filterForm(result: BrowseResult | null, topic: string, partitions: number): SafeHtml {
  const q = result?.query;
  const partitionOptions = [html`<option value="">all</option>`];
  for (let p = 0; p < partitions; p++)
    partitionOptions.push(html`<option value="${p}"${q?.partition === p ? html` selected` : ""}>${p}</option>`);
  return html`<form class="filters" method="get" action="/topics/${encodeURIComponent(topic)}">
<label>Partition <select name="partition">${partitionOptions}</select></label>
<label>From offset <input name="offset" inputmode="numeric" size="8" value="${q?.offset ?? ""}"></label>
<label>From time (UTC) <input name="from" type="datetime-local" step="1" value="${q?.fromMs === null || q?.fromMs === undefined ? "" : new Date(q.fromMs).toISOString().slice(0, 19)}"></label>
<label>Key contains <input name="key" size="12" value="${q?.key ?? ""}"></label>
<label>Limit <input name="limit" inputmode="numeric" size="4" value="${q?.limit ?? 50}"></label>
<label class="check"><input type="checkbox" name="follow" value="1"${q?.follow === true ? html` checked` : ""}> Follow</label>
<button type="submit">Show</button>
</form>`;
}

export function browseBody(o: {
  topic: string;
  partitions: number;
  result: BrowseResult | { error: string };
  redriveEnabled: boolean;
}): SafeHtml {
  const ok = "records" in o.result ? o.result : null;
  const isDlq = o.topic.endsWith(".dlq");
  const rows = ok?.records.map((r) => recordRow(r, o.redriveEnabled)) ?? [];
  return html`${filterForm(ok, o.topic, o.partitions)}
${liveSection("offsets", "Partitions (log start…end)", ok === null ? html`` : browseOffsetsSection(ok.offsets))}
<section aria-labelledby="h-records"><h2 id="h-records">Records</h2>
${ok === null ? downBox("Topic read", "error" in o.result ? o.result.error : "") : ""}
${ok?.query.follow ? html`<p class="hint" role="status" id="follow-status">Following: new records appear at the top.</p>` : ""}
<div class="scroll" role="region" aria-label="Records of ${o.topic}" tabindex="0"><table id="records"><caption>Records of ${o.topic}</caption><thead><tr>${(isDlq ? DLQ_RECORD_HEAD : RECORD_HEAD).map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody data-follow-rows>${rows}</tbody></table></div>
${ok !== null && rows.length === 0 ? html`<p class="empty">No records match.</p>` : ""}
</section>`;
}
