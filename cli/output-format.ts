import { Option } from "commander";

/**
 * `--output table|json` for read commands. `json` is one JSON document (an array or an object)
 * for commands that answer once, and JSON lines (one document per record) for streaming
 * commands (`tail`); `table` is aligned columns for people.
 */
export const OUTPUT_FORMATS = ["table", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputOption(defaultFormat: OutputFormat): Option {
  return new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS).default(defaultFormat);
}

/** Aligned columns, two spaces apart, the first row the header; trailing blanks trimmed. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map(
      (row) =>
        `${row
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}

/**
 * A JSON answer as a table: an array of objects becomes one row per object (columns: the union
 * of keys); an object whose one array field holds objects becomes that array's table; any other
 * object becomes FIELD/VALUE rows. Nested values print as compact JSON.
 */
export function renderJsonAsTable(value: unknown): string {
  if (Array.isArray(value)) return arrayTable(value);
  if (isObject(value)) {
    const arrays = Object.entries(value).filter(([, v]) => Array.isArray(v));
    if (arrays.length === 1 && Object.keys(value).length === 1) return arrayTable(arrays[0]?.[1] as unknown[]);
    return renderTable([["FIELD", "VALUE"], ...Object.entries(value).map(([k, v]) => [k, cell(v)])]);
  }
  return `${cell(value)}\n`;
}

/** One answer in the chosen format. */
export function formatAnswer(format: OutputFormat, value: unknown, table: (v: unknown) => string = renderJsonAsTable) {
  return format === "json" ? `${JSON.stringify(value)}\n` : table(value);
}

function arrayTable(items: readonly unknown[]): string {
  if (items.length === 0) return "(none)\n";
  if (!items.every(isObject)) return renderTable([["VALUE"], ...items.map((i) => [cell(i)])]);
  const columns = [...new Set(items.flatMap((i) => Object.keys(i)))];
  return renderTable([columns.map(header), ...items.map((i) => columns.map((c) => cell(i[c])))]);
}

function header(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "-";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
