/**
 * Which of `buckets` hashes holds `key`: FNV-1a (32 bit) over the key's UTF-16 code units.
 * Stable across processes and releases — readers (the gateway's ListPending) locate a timer with
 * it — so changing it or a bucket count is a state migration.
 */
export function bucketOf(key: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}
