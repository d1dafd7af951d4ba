import type { Attempt, DeliveriesState } from "../sources/deliveries.js";
import { badge, downBox, html, number, type SafeHtml, table } from "./html.js";
import { liveSection, type Sections } from "./layout.js";
import { DLQ_RECORD_HEAD, recordRow } from "./record-rows.js";

function attemptRows(attempts: readonly Attempt[]): SafeHtml[] {
  return attempts.map(
    (a) =>
      html`<tr><th scope="row"><code>${a.id}</code> #${a.attempt}</th><td><code>${a.target}</code></td><td>${a.startedAt}</td><td class="num">${a.durationMs}</td><td>${badge(a.result !== "gave_up" && !a.status.startsWith("http 5"), a.status)}</td><td>${a.result}</td><td>${a.error ?? ""}</td></tr>`,
  );
}

const ATTEMPT_HEAD = ["delivery / attempt", "target", "started", "ms", "status", "result", "error"];

export function deliveriesSections(s: DeliveriesState, redriveEnabled: boolean): Sections {
  return {
    callbacks: s.callbackAttempts.ok
      ? table(
          "Callback attempts (newest first)",
          ATTEMPT_HEAD,
          attemptRows(s.callbackAttempts.value),
          "no callback attempts yet",
        )
      : downBox("Callback attempts (Postgres)", s.callbackAttempts.error),
    postbacks: s.postbackAttempts.ok
      ? table(
          "Postback attempts (newest first)",
          ATTEMPT_HEAD,
          attemptRows(s.postbackAttempts.value),
          "no postback attempts yet",
        )
      : downBox("Postback attempts (Postgres)", s.postbackAttempts.error),
    retries: s.retries.ok
      ? table(
          "Retry queue (deliveries still being tried)",
          ["kind", "delivery", "target", "attempts", "last status", "next attempt"],
          s.retries.value.map(
            (r) =>
              html`<tr><td>${r.kind}</td><th scope="row"><code>${r.id}</code></th><td><code>${r.target}</code></td><td class="num">${r.attempts}</td><td>${r.lastStatus ?? ""}</td><td>${r.nextAttemptAt ?? "due"}</td></tr>`,
          ),
          "empty",
        )
      : downBox("Retry queue (Postgres)", s.retries.error),
    circuits: s.circuits.ok
      ? html`<ul class="services">${s.circuits.value.gauges.map((g) => html`<li>${g.service}: ${g.open === null ? html`${badge(false, "unknown")} <span class="detail">${g.error ?? "no gauge"}</span>` : html`<strong data-field="open-circuits">${g.open}</strong> open circuit(s)`}</li>`)}</ul>
${table(
  "Hosts refused by an open circuit in the last minute",
  ["host", "refused attempts"],
  s.circuits.value.hosts.map((h) => html`<tr><th scope="row">${h.host}</th><td class="num">${h.refused}</td></tr>`),
  "no host",
)}`
      : downBox("Circuit breakers", s.circuits.error),
    dlq: html`${s.deadLetters.map((q) =>
      q.ok
        ? html`<h3>${q.value.topic} <span class="pill" data-field="dlq-size">${number(q.value.size)} held</span></h3>${table(
            `Dead letters of ${q.value.topic} (newest first)`,
            DLQ_RECORD_HEAD,
            q.value.records.map((r) => recordRow(r, redriveEnabled)),
            "empty",
          )}`
        : downBox("Dead-letter topic", q.error),
    )}`,
  };
}

export function deliveriesBody(sections: Sections): SafeHtml {
  return html`${liveSection("callbacks", "Callbacks", sections.callbacks ?? html``)}
${liveSection("postbacks", "Postbacks", sections.postbacks ?? html``)}
${liveSection("retries", "Retry queue", sections.retries ?? html``)}
${liveSection("circuits", "Open circuits", sections.circuits ?? html``)}
${liveSection("dlq", "Dead letters", sections.dlq ?? html``, html`<p class="hint">Redrive re-produces one dead letter to its source topic (without its tributary.dlq.* headers). It is the console's only write and asks for the redrive token.</p>`)}`;
}
