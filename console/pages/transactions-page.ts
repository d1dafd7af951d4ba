import type { TransactionsState } from "../sources/transactions.js";
import { badge, downBox, html, number, type SafeHtml, table } from "./html.js";
import { liveSection, type Sections } from "./layout.js";

export function transactionsSections(s: TransactionsState): Sections {
  return {
    pending: s.pending.ok
      ? table(
          "Pending per client (ListPending)",
          ["client", "pending", "first ids", "timer caught up"],
          s.pending.value.map((c) =>
            c.pending.ok
              ? html`<tr data-client="${c.clientId}"><th scope="row">${c.clientId}</th><td class="num" data-field="pending">${number(c.pending.value.count)}</td><td>${c.pending.value.ids.join(", ")}</td><td>${c.pending.value.caughtUp ? "yes" : "no"}</td></tr>`
              : html`<tr data-client="${c.clientId}"><th scope="row">${c.clientId}</th><td colspan="3">${downBox("ListPending", c.pending.error)}</td></tr>`,
          ),
          "no client has a pending transaction",
        )
      : downBox("Transactions table (Postgres)", s.pending.error),
    outcomes: s.outcomes.ok
      ? html`<dl class="stats">${s.outcomes.value.map((o) => html`<div data-outcome="${o.outcome}"><dt>${o.outcome}</dt><dd data-field="count">${number(o.count)}</dd></div>`)}</dl>${s.outcomes.value.length === 0 ? html`<p class="empty">no transactions yet</p>` : ""}`
      : downBox("transaction_outcomes (Postgres)", s.outcomes.error),
    timeouts: s.timeouts.ok
      ? table(
          "Recent timeouts and their callback attempts",
          ["transaction", "client", "target", "fired at", "status", "attempts"],
          s.timeouts.value.map(
            (
              t,
            ) => html`<tr data-transaction="${t.transactionId}"><th scope="row">${t.transactionId}</th><td>${t.clientId}</td><td><code>${t.target}</code></td><td>${t.firedAt}</td><td>${badge(t.status !== "failed", t.status)}</td>
<td><ol class="attempts">${t.attempts.map((a) => html`<li>#${a.attempt} ${a.status} in ${a.durationMs} ms → ${a.result}${a.error === null ? "" : html` <span class="detail">${a.error}</span>`}${a.nextAttemptAt === null ? "" : html` (next ${a.nextAttemptAt})`}</li>`)}</ol></td></tr>`,
          ),
          "no timeouts yet",
        )
      : downBox("Callback ledger (Postgres)", s.timeouts.error),
  };
}

export function transactionsBody(sections: Sections): SafeHtml {
  return html`${liveSection("outcomes", "Outcomes (transaction_outcomes)", sections.outcomes ?? html``)}
${liveSection("pending", "Pending", sections.pending ?? html``)}
${liveSection("timeouts", "Timeouts", sections.timeouts ?? html``)}`;
}
