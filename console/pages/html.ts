/** HTML text that is already escaped (built by `html` or `raw`). */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof SafeHtml) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

/** Template tag: every interpolated value is escaped unless it is SafeHtml (or an array of it). */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new SafeHtml(out);
}

export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/** A badge whose words say the state (colour only repeats it). */
export function badge(ok: boolean, text: string, title?: string): SafeHtml {
  return html`<span class="badge ${ok ? "ok" : "down"}"${title === undefined ? "" : raw(` title="${escapeHtml(title)}"`)}>${ok ? "● " : "▲ "}${text}</span>`;
}

/** A component that did not answer: shown as down with its error; the page keeps working. */
export function downBox(what: string, error: string): SafeHtml {
  return html`<p class="error" role="alert"><strong>${what} is down:</strong> ${error}</p>`;
}

/** One formatter per digit count: `toLocaleString` with options builds a new one per call (the top cost of a refresh). */
const numberFormats = new Map<number, Intl.NumberFormat>();

export function number(n: number, digits = 0): string {
  let format = numberFormats.get(digits);
  if (format === undefined) {
    format = new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
    numberFormats.set(digits, format);
  }
  return format.format(n);
}

/** A table in a focusable, labelled scroll region (narrow screens scroll it sideways). */
export function table(label: string, head: readonly string[], rows: readonly SafeHtml[], empty = "none"): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${label}: ${empty}</p>`;
  return html`<div class="scroll" role="region" aria-label="${label}" tabindex="0"><table><caption>${label}</caption><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Inline SVG sparkline of recent values (server-rendered: no script per row). */
export function sparkline(values: readonly number[], label: string): SafeHtml {
  const w = 120;
  const h = 24;
  if (values.length < 2)
    return html`<svg class="spark" width="${w}" height="${h}" role="img" aria-label="${label}: no samples yet"></svg>`;
  const max = Math.max(1, ...values);
  const step = w / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(" ");
  return html`<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}"><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${points}"/></svg>`;
}
