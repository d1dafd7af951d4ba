import type { RecordPosition } from "../../runtime/kafka/kafka-adapter.js";

/** Next offset per partition of `messages` that a read must see applied. */
export type PartitionTargets = Map<number, number>;

export const CONSISTENCY_TOKEN_HEADER = "tributary-consistency-token";

const PAIR = /^(\d{1,6}):(\d{1,19})$/;

/** Positions of acknowledged records → the offsets after them, per partition. */
export function targetsOf(positions: readonly RecordPosition[]): PartitionTargets {
  const targets: PartitionTargets = new Map();
  for (const p of positions) targets.set(p.partition, Math.max(targets.get(p.partition) ?? 0, p.offset + 1));
  return targets;
}

/** Per-partition maximum of several targets. */
export function mergeTargets(...all: readonly PartitionTargets[]): PartitionTargets {
  const merged: PartitionTargets = new Map();
  for (const targets of all)
    for (const [partition, next] of targets) merged.set(partition, Math.max(merged.get(partition) ?? 0, next));
  return merged;
}

/** `<partition>:<next offset>` pairs joined by commas, e.g. `0:42,3:17`: readable in logs and curl. */
export function formatToken(targets: PartitionTargets): string {
  return [...targets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([p, o]) => `${p}:${o}`)
    .join(",");
}

/** Parses a token; null when malformed. The empty token asks for nothing. */
export function parseToken(token: string): PartitionTargets | null {
  const targets: PartitionTargets = new Map();
  if (token.trim() === "") return targets;
  for (const pair of token.split(",")) {
    const match = PAIR.exec(pair.trim());
    if (match === null) return null;
    const next = Number(match[2]);
    if (!Number.isSafeInteger(next)) return null;
    targets.set(Number(match[1]), Math.max(targets.get(Number(match[1])) ?? 0, next));
  }
  return targets;
}
