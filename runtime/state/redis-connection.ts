import { Redis } from "ioredis";

/** ioredis client for Dragonfly/Redis; commands fail fast while disconnected (no queueing). */
export function connectRedis(url: string, options: { failFast?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: options.failFast ? 0 : 20,
    enableOfflineQueue: !options.failFast,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
