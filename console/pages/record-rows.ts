import type { RecordView } from "../record-view.js";
import type { DeadLetterView } from "../sources/deliveries.js";
import { html, type SafeHtml } from "./html.js";

function link(topic: string, partition: number, offset: number): string {
  return `/topics/${encodeURIComponent(topic)}?partition=${partition}&offset=${offset}&limit=1`;
}

function deadLetterCell(r: RecordView | DeadLetterView, redriveEnabled: boolean): SafeHtml {
  const d = r.deadLetter;
  if (d === null) return html``;
  const source =
    d.sourceTopic !== null && d.sourcePartition !== null && d.sourceOffset !== null
      ? html`<a href="${link(d.sourceTopic, d.sourcePartition, d.sourceOffset)}">source record ${d.sourceTopic} / ${d.sourcePartition} @ ${d.sourceOffset}</a>`
      : html`source unknown`;
  const redriven = "redriven" in r ? r.redriven : null;
  const action =
    redriven !== null
      ? html`<p class="redriven" data-field="redriven">Redriven → <a href="${link(redriven.topic, redriven.partition, redriven.offset)}">${redriven.topic} / ${redriven.partition} @ ${redriven.offset}</a></p>`
      : redriveEnabled
        ? html`<button type="button" class="redrive" data-topic="${r.topic}" data-partition="${r.partition}" data-offset="${r.offset}">Redrive…</button>`
        : html`<p class="hint">Redrive is off (no CONSOLE_REDRIVE_TOKEN).</p>`;
  return html`<dl class="dlq"><dt>reason</dt><dd data-field="reason">${d.reason}</dd><dt>code</dt><dd>${d.errorCode}</dd><dt>processor</dt><dd>${d.processor}</dd><dt>failed at</dt><dd>${d.failedAt}</dd></dl><p>${source}</p>${"redriven" in r ? action : ""}`;
}

/** One table row per record; DLQ records carry their reason, source link and redrive state. */
export function recordRow(r: RecordView | DeadLetterView, redriveEnabled: boolean): SafeHtml {
  const headers = Object.entries(r.headers);
  return html`<tr data-record="${r.partition}:${r.offset}">
<td class="num">${r.partition}</td>
<th scope="row" class="num">${r.offset}</th>
<td><time datetime="${r.timestamp}">${r.timestamp}</time></td>
<td><code>${r.key ?? "(null)"}</code></td>
<td><details><summary>${headers.length} headers</summary><dl class="headers">${headers.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></details></td>
<td>${r.decodeError === null ? "" : html`<p class="error">not decodable: ${r.decodeError}</p>`}<pre class="json">${JSON.stringify(r.value, null, 1)}</pre></td>
${r.deadLetter === null ? "" : html`<td>${deadLetterCell(r, redriveEnabled)}</td>`}
</tr>`;
}

export const RECORD_HEAD = ["partition", "offset", "timestamp", "key", "headers", "value (decoded JSON)"];
export const DLQ_RECORD_HEAD = [...RECORD_HEAD, "dead letter"];
