/** Applies the deployment's TOPIC_PREFIX (empty in production; unique per test run). */
export function physicalTopic(prefix: string, name: string): string {
  return `${prefix}${name}`;
}

/** Inverse of physicalTopic; undefined when the topic is not under the prefix. */
export function logicalTopic(prefix: string, physical: string): string | undefined {
  return physical.startsWith(prefix) ? physical.slice(prefix.length) : undefined;
}
