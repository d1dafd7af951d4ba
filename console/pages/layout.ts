import { html, type SafeHtml } from "./html.js";

export const PAGES = [
  { id: "overview", path: "/", title: "Overview" },
  { id: "topics", path: "/topics", title: "Topics" },
  { id: "pings", path: "/pings", title: "Pings" },
  { id: "transactions", path: "/transactions", title: "Transactions" },
  { id: "deliveries", path: "/deliveries", title: "Deliveries" },
  { id: "schemas", path: "/schemas", title: "Schemas" },
] as const;

export type PageId = (typeof PAGES)[number]["id"];

/** Sections of a page by id: each is replaced as a whole when the event stream sends a new one. */
export type Sections = Record<string, SafeHtml>;

export function liveSection(id: string, title: string, body: SafeHtml, intro?: SafeHtml): SafeHtml {
  return html`<section aria-labelledby="h-${id}"><h2 id="h-${id}">${title}</h2>${intro}<div data-live="${id}">${body}</div></section>`;
}

/** The whole page: navigation, the sections, and the event stream URL for live updates. */
export function layout(o: {
  page: PageId;
  title: string;
  /** Query string of the event stream (page and its filters); null: no live updates. */
  events: string | null;
  body: SafeHtml;
  refreshIntervalMs: number;
}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Tributary Console</title>
<link rel="stylesheet" href="/static/uPlot.min.css">
<link rel="stylesheet" href="/static/console.css">
</head>
<body data-events="${o.events ?? ""}" data-refresh-ms="${o.refreshIntervalMs}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="/">Tributary Console</a></p>
<nav aria-label="Pages"><ul>${PAGES.map(
    (p) => html`<li><a href="${p.path}"${p.id === o.page ? html` aria-current="page"` : ""}>${p.title}</a></li>`,
  )}</ul></nav>
<p class="live-status" role="status" id="live-status">${o.events === null ? "static" : "connecting…"}</p>
</header>
<main id="main">
<h1>${o.title}</h1>
${o.body}
</main>
<script src="/static/uPlot.iife.min.js"></script>
<script src="/static/console.js"></script>
</body>
</html>
`.text;
}
