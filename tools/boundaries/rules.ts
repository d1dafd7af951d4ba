import type { ModuleImport } from "./module-graph.js";

/** Where a file sits: a flow (`processors/ping-counter`) or a top-level folder (`runtime`, `cli`, ...). */
export interface Zone {
  readonly kind: "flow" | "folder";
  /** `processors/ping-counter` for a flow, `runtime` for a folder. */
  readonly name: string;
}

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly rule: RuleId;
  readonly message: string;
}

export type RuleId =
  | "flow-contract"
  | "flow-deps"
  | "runtime-base"
  | "cli-bench"
  | "kafkajs-adapter"
  | "gen-leaf"
  | "composition-contract"
  | "contract-exists"
  | "contract-named-exports";

/** The rules, in words, for the report and the README. */
export const RULES: Readonly<Record<RuleId, string>> = {
  "flow-contract": "a flow imports another flow only through that flow's index.ts",
  "flow-deps":
    "a flow imports only runtime/, gen/, its own files and other flows' index.ts (specs: also test/, testkit/)",
  "runtime-base":
    "runtime/ imports only runtime/ and gen/ (no flow, cli, bench, services, tools; specs: also test/, testkit/)",
  "cli-bench": "cli/ and bench/ do not import each other",
  "kafkajs-adapter": "only runtime/kafka/kafka-adapter.ts imports kafkajs",
  "gen-leaf": "gen/ (generated code) imports nothing of ours outside gen/",
  "composition-contract":
    "cli/, bench/, services/, k8s/ and console/ import a flow only through its index.ts or config.ts",
  "contract-exists": "every flow folder has an index.ts contract module",
  "contract-named-exports": "a contract module exports names one by one (no `export *`)",
};

/** Imports allowed against a rule, each with its reason. Keep this list short. */
export const EXEMPTIONS: readonly {
  readonly file: string;
  readonly specifier: string;
  readonly rule: RuleId;
  readonly reason: string;
}[] = [
  {
    file: "bench/pings-bench.ts",
    specifier: "kafkajs",
    rule: "kafkajs-adapter",
    reason: "its baseline is a bare kafkajs producer, to measure what the gateway adds",
  },
  {
    file: "bench/kafka-clients-bench.ts",
    specifier: "kafkajs",
    rule: "kafkajs-adapter",
    reason: "client comparison: kafkajs against @platformatic/kafka, driven the way the adapter drives it",
  },
  {
    file: "bench/reference/bare-ping-server.ts",
    specifier: "kafkajs",
    rule: "kafkajs-adapter",
    reason: "the bare node:http + Kafka client reference that the gateway's Ping is measured against",
  },
];

export function isExempt(v: Violation): boolean {
  return EXEMPTIONS.some((e) => e.file === v.file && e.specifier === v.specifier && e.rule === v.rule);
}

/** Folders holding flows: each direct subfolder is one flow. */
export const FLOW_ROOTS = ["producers", "processors", "sinks"] as const;
const COMPOSITION_ROOTS = new Set(["cli", "bench", "services", "k8s", "console"]);
const KAFKA_ADAPTER = "runtime/kafka/kafka-adapter.ts";
const TEST_FOLDERS = new Set(["test", "testkit"]);

export function zoneOf(path: string): Zone {
  const [top = "", second] = path.split("/");
  if ((FLOW_ROOTS as readonly string[]).includes(top) && second !== undefined && path.split("/").length > 2) {
    return { kind: "flow", name: `${top}/${second}` };
  }
  return { kind: "folder", name: top };
}

function contractOf(flow: string): string {
  return `${flow}/index.ts`;
}

/** The violations of one import (empty when it is allowed). */
export function checkImport(imp: ModuleImport): Violation[] {
  const found: Violation[] = [];
  const flag = (rule: RuleId, detail: string): void => {
    found.push({ file: imp.from, specifier: imp.specifier, rule, message: detail });
  };
  const from = zoneOf(imp.from);
  if (imp.packageName !== undefined) {
    if (imp.packageName === "kafkajs" && imp.from !== KAFKA_ADAPTER) flag("kafkajs-adapter", "imports kafkajs");
    return found;
  }
  const targetPath = imp.target ?? imp.specifier;
  const to = zoneOf(targetPath);
  // Unit specs beside the code may use shared test fixtures (store contract tests, the testkit).
  const specFixture = imp.from.endsWith(".spec.ts") && to.kind === "folder" && TEST_FOLDERS.has(to.name);
  if (from.kind === "flow") {
    if (to.kind === "flow" && to.name !== from.name && targetPath !== contractOf(to.name)) {
      flag("flow-contract", `reaches into ${to.name} (use ${contractOf(to.name)})`);
    } else if (to.kind === "folder" && to.name !== "runtime" && to.name !== "gen" && !specFixture) {
      flag("flow-deps", `imports ${to.name}/`);
    }
  }
  const runtimeTarget = to.kind === "folder" && (to.name === "runtime" || to.name === "gen");
  if (from.kind === "folder" && from.name === "runtime" && !runtimeTarget && !specFixture) {
    flag("runtime-base", `imports ${to.name}${to.kind === "folder" ? "/" : ""}`);
  }
  if ((from.name === "cli" && to.name === "bench") || (from.name === "bench" && to.name === "cli")) {
    flag("cli-bench", `${from.name}/ imports ${to.name}/`);
  }
  if (from.name === "gen" && from.kind === "folder" && to.name !== "gen") flag("gen-leaf", `imports ${to.name}/`);
  if (
    from.kind === "folder" &&
    COMPOSITION_ROOTS.has(from.name) &&
    to.kind === "flow" &&
    targetPath !== contractOf(to.name) &&
    targetPath !== `${to.name}/config.ts`
  ) {
    flag("composition-contract", `reaches into ${to.name} (use ${contractOf(to.name)})`);
  }
  return found;
}
