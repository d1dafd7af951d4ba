import type { Redis } from "ioredis";

/**
 * One token bucket per key in a Dragonfly/Redis hash {tokens, at_ms}. Refill is computed from the
 * elapsed time on each call; the key expires once a full bucket would have refilled, so idle keys
 * cost nothing. Dragonfly runs scripts only on keys declared in KEYS: the one key is KEYS[1].
 * ARGV: now_ms, rate_per_second, burst. Returns {allowed (1|0), retry_after_ms}.
 */
export const TOKEN_BUCKET_SCRIPT = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at_ms')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at_ms', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, retry}
`;

export interface TakeResult {
  readonly allowed: boolean;
  /** When refused: milliseconds until one token is back. 0 when allowed. */
  readonly retryAfterMs: number;
}

/** Per-key rate limit shared by every gateway replica (the bucket lives in Dragonfly). */
export class RedisTokenBucket {
  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. the state namespace + `ratelimit:`. */
    private readonly keyPrefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  async take(bucketId: string, ratePerSecond: number, burst: number): Promise<TakeResult> {
    const answer = (await this.redis.eval(
      TOKEN_BUCKET_SCRIPT,
      1,
      `${this.keyPrefix}${bucketId}`,
      String(this.now()),
      String(ratePerSecond),
      String(burst),
    )) as [number, number];
    return { allowed: Number(answer[0]) === 1, retryAfterMs: Number(answer[1]) };
  }
}
