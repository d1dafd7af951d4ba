import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DescMessage } from "@bufbuild/protobuf";

/** Folder holding the .proto files: SCHEMAS_DIR, or `schemas/` found above this module. */
export function schemasDir(): string {
  const fromEnv = process.env.SCHEMAS_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "schemas");
    if (existsSync(join(candidate, "ping"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("cannot find the schemas/ folder; set SCHEMAS_DIR");
}

/** The .proto source text that declares `message`, as registered in the schema registry. */
export function protoSourceOf(message: DescMessage, dir = schemasDir()): string {
  return readFileSync(join(dir, `${message.file.name}.proto`), "utf8");
}

/** Confluent message indexes of a message: its position path from the file's top level. */
export function messageIndexesOf(message: DescMessage): number[] {
  const path: number[] = [];
  let current: DescMessage = message;
  for (;;) {
    const parent: DescMessage | undefined = current.parent;
    const siblings: readonly DescMessage[] = parent === undefined ? current.file.messages : parent.nestedMessages;
    path.unshift(siblings.indexOf(current));
    if (parent === undefined) return path;
    current = parent;
  }
}

/** The `message` declarations of a .proto file as a tree, each node with its full name. */
export interface ProtoMessageTree {
  readonly fullName: string;
  readonly children: readonly ProtoMessageTree[];
}

/**
 * Parses the message tree of a .proto source text once. A small scanner (package + nested
 * `message` blocks) is enough: registry schemas are our own canonical files.
 */
export function parseMessageTree(source: string): ProtoMessageTree {
  const stripped = source.replace(/\/\/[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
  const pkg = /\bpackage\s+([\w.]+)\s*;/.exec(stripped)?.[1] ?? "";
  interface Node {
    fullName: string;
    children: Node[];
  }
  const root: Node = { fullName: pkg, children: [] };
  const stack: (Node | null)[] = [root];
  const tokens = stripped.match(/"(?:[^"\\]|\\.)*"|\w+|[{}]/g) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === "message" && tokens[i + 2] === "{") {
      // A message inside a non-message block (an `extend`, say) is unreachable by index.
      const parent = stack.at(-1);
      const name = tokens[i + 1] ?? "";
      const prefix = parent?.fullName ?? "";
      const node: Node = { fullName: prefix === "" ? name : `${prefix}.${name}`, children: [] };
      if (parent) parent.children.push(node);
      stack.push(node);
      i += 2;
    } else if (token === "{") {
      stack.push(null);
    } else if (token === "}") {
      stack.pop();
    }
  }
  return root;
}

/** Full name of the message at Confluent `indexes` in a parsed tree; no allocation per call. */
export function messageNameIn(tree: ProtoMessageTree, indexes: readonly number[]): string | undefined {
  let node = tree;
  for (const index of indexes) {
    const child = node.children[index];
    if (child === undefined) return undefined;
    node = child;
  }
  return node.fullName;
}

/**
 * Fully-qualified name of the message at `indexes` in a .proto source text. Parses the text on
 * every call: per-record decoding goes through `MessageNameCache` instead.
 */
export function messageNameAt(source: string, indexes: readonly number[]): string | undefined {
  return messageNameIn(parseMessageTree(source), indexes);
}
