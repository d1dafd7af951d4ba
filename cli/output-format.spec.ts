import { describe, expect, it } from "vitest";
import { formatAnswer, outputOption, renderJsonAsTable, renderTable } from "./output-format.js";

describe("output formats", () => {
  it("renderTable aligns columns and trims trailing blanks", () => {
    expect(
      renderTable([
        ["A", "LONG HEADER"],
        ["value", "x"],
      ]),
    ).toBe("A      LONG HEADER\nvalue  x\n");
  });

  it("renders an object with one array of objects as that array's table", () => {
    const text = renderJsonAsTable({ msgs: [{ id: "a", specVersion: "1.0" }, { id: "b" }] });
    expect(text.split("\n")).toEqual(["ID  SPEC_VERSION", "a   1.0", "b   -", ""]);
  });

  it("renders other objects as FIELD/VALUE rows, nested values as JSON", () => {
    expect(renderJsonAsTable({ count: 3, token: { t: 1 } })).toBe('FIELD  VALUE\ncount  3\ntoken  {"t":1}\n');
    expect(renderJsonAsTable([])).toBe("(none)\n");
  });

  it("json is one document on one line", () => {
    const text = formatAnswer("json", { a: [1, 2] });
    expect(text).toBe('{"a":[1,2]}\n');
    expect(JSON.parse(text)).toEqual({ a: [1, 2] });
  });

  it("--output accepts only table or json", () => {
    const option = outputOption("table");
    expect(option.argChoices).toEqual(["table", "json"]);
    expect(option.defaultValue).toBe("table");
    expect(option.long).toBe("--output");
  });
});
