import type { ErrorObject } from "ajv";

/** One line per ajv error: `<JSON pointer> <message>`, naming the offending field or values. */
export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath === "" ? "(root)" : e.instancePath;
    const extra =
      e.keyword === "additionalProperties"
        ? ` "${String(e.params.additionalProperty)}"`
        : e.keyword === "enum"
          ? ` ${JSON.stringify(e.params.allowedValues)}`
          : "";
    return `${at} ${e.message ?? e.keyword}${extra}`;
  });
}
