import type { ProcessorState, ServiceHealth } from "../sources/processors.js";
import type { TopicState } from "../sources/topics.js";
import { badge, downBox, html, number, type SafeHtml, sparkline, table } from "./html.js";
import { liveSection, type Sections } from "./layout.js";

export interface OverviewState {
  readonly topics: readonly TopicState[];
  readonly processors: readonly ProcessorState[];
  readonly others: readonly ServiceHealth[];
}

function topicRows(topics: readonly TopicState[]): SafeHtml[] {
  const data = topics.filter((t) => t.spec.deadLetter !== null);
  return data.map((t) => {
    const dlq = topics.find((d) => d.name === t.spec.deadLetter);
    const offsets = t.offsets;
    const ends = offsets.ok ? offsets.value.map((o) => o.high) : [];
    return html`<tr data-topic="${t.name}">
<th scope="row"><a href="/topics/${encodeURIComponent(t.name)}">${t.name}</a></th>
<td class="num">${offsets.ok ? offsets.value.length : "—"}</td>
<td class="offsets">${offsets.ok ? ends.join(" · ") : downBox("Kafka", offsets.error)}</td>
<td class="num" data-field="end-total">${number(ends.reduce((a, b) => a + b, 0))}</td>
<td class="num" data-field="rate">${number(t.ratePerSecond, 1)}</td>
<td>${sparkline(t.rateHistory, `${t.name} records per second, last ${t.rateHistory.length} s`)}</td>
<td class="num" data-field="dlq-size">${dlq === undefined ? "—" : dlq.offsets.ok ? html`<a href="/topics/${encodeURIComponent(dlq.name)}">${number(dlq.records)}</a>` : "down"}</td>
</tr>`;
  });
}

function processorBlock(p: ProcessorState): SafeHtml {
  const members = p.members.ok
    ? p.members.value.length === 0
      ? html`<p class="empty">No instance in group <code>${p.group}</code>.</p>`
      : html`<ul class="members">${p.members.value.map(
          (m) =>
            html`<li><code>${m.clientId}@${m.clientHost.replace(/^\//, "")}</code> owns ${m.assignments.map((a) => `${a.topic} [${a.partitions.join(", ")}]`).join("; ") || "nothing yet"}</li>`,
        )}</ul>`
    : downBox("Group membership (Kafka)", p.members.error);
  const store = p.store.ok ? p.store.value : null;
  const rows = p.partitions.map(
    (x) => html`<tr data-partition="${x.topic}:${x.partition}">
<th scope="row">${x.topic} / ${x.partition}</th>
<td class="num">${number(x.endOffset)}</td>
<td class="num">${x.storedOffset === null ? "none" : number(x.storedOffset)}</td>
<td class="num lag${x.lag > 0 ? " behind" : ""}" data-field="lag">${number(x.lag)}</td>
<td>${x.owner === null ? "unowned" : html`<code>${x.owner}</code>`}</td>
</tr>`,
  );
  return html`<article class="processor" data-processor="${p.name}" aria-labelledby="p-${p.name}">
<h3 id="p-${p.name}">${p.name} ${badge(p.health.ok, p.health.ok ? "ready" : "down", p.health.detail)}</h3>
${p.health.ok ? "" : downBox(p.name, p.health.detail)}
<p class="meta">role ${p.role} · group <code>${p.group}</code> · offsets in ${store ?? "?"} · ${p.members.ok ? p.members.value.length : "?"} instance(s) · total lag <strong data-field="total-lag">${number(p.totalLag)}</strong></p>
${p.store.ok ? "" : downBox("Offset store", p.store.error)}
${members}
${table(`${p.name}: lag per partition (end offset − stored offset)`, ["topic / partition", "end offset", "stored offset", "lag", "owner"], rows, "no partitions (topic down?)")}
</article>`;
}

export function overviewSections(state: OverviewState): Sections {
  return {
    topics: table(
      "Catalog topics",
      ["topic", "partitions", "end offset per partition", "end offsets", "records/s", "write rate", "DLQ size"],
      topicRows(state.topics),
    ),
    processors: html`${state.processors.map(processorBlock)}`,
    services: html`<ul class="services">${state.others.map(
      (s) =>
        html`<li data-service="${s.name}">${s.name} (${s.role}) ${badge(s.health.ok, s.health.ok ? "ready" : "down", s.health.detail)}${s.health.ok ? "" : html` <span class="detail">${s.health.detail}</span>`}</li>`,
    )}</ul>`,
  };
}

export function overviewBody(sections: Sections): SafeHtml {
  return html`${liveSection("topics", "Topics", sections.topics ?? html``)}
${liveSection("services", "Other services", sections.services ?? html``)}
${liveSection("processors", "Processors", sections.processors ?? html``, html`<p class="hint">Lag is computed from the offsets each processor stores with its state (Dragonfly hash or Postgres <code>tributary_offsets</code>), not from Kafka's group offsets.</p>`)}`;
}
