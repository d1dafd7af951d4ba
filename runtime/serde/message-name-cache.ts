import { messageNameIn, type ProtoMessageTree, parseMessageTree } from "./proto-source.js";

/**
 * Message names of registry schemas, parsed once per schema id. Schema ids are immutable, so the
 * parsed tree never goes stale; decoding a record is then a walk of a few array slots (the
 * per-record regex scan of the .proto text was 15 % of the counter's CPU).
 */
export class MessageNameCache {
  readonly #trees = new Map<number, ProtoMessageTree>();
  #parses = 0;

  /** Full name of the message at `indexes` in schema `schemaId` whose text is `source`. */
  nameAt(schemaId: number, source: string, indexes: readonly number[]): string | undefined {
    let tree = this.#trees.get(schemaId);
    if (tree === undefined) {
      tree = parseMessageTree(source);
      this.#trees.set(schemaId, tree);
      this.#parses += 1;
    }
    return messageNameIn(tree, indexes);
  }

  /** How many schema texts were parsed (one per distinct schema id seen). */
  get parses(): number {
    return this.#parses;
  }
}
