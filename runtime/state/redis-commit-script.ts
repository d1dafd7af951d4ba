/**
 * One Lua script applies a chunk set's state changes and offsets atomically. Every key it touches
 * arrives in KEYS (Dragonfly refuses undeclared keys): KEYS[1] is the offsets hash, the rest are
 * state keys addressed by index from the ops.
 *
 * ARGV[1]: JSON [[offsetField, expectedNext or "", next], ...]
 * ARGV[2]: JSON [[op, keyIndex, a, b], ...] with op in hincrby | hset | hdel | zadd | zrem | del | set,
 * or [hincrby_once, seenKeyIndex, field, ttlMs, keyIndex1, field1, by1, ...]: the increments
 * apply only when HSETNX adds the field (a record seen before changes nothing).
 * Returns [] on success, else a flat list [field, storedValue, ...] of offset conflicts
 * (nothing applied).
 */
export const COMMIT_SCRIPT = `
local offsets = cjson.decode(ARGV[1])
local conflicts = {}
for _, o in ipairs(offsets) do
  local current = redis.call('HGET', KEYS[1], o[1])
  if not current then current = '' end
  if current ~= o[2] then
    table.insert(conflicts, o[1])
    table.insert(conflicts, current)
  end
end
if #conflicts > 0 then return conflicts end
local ops = cjson.decode(ARGV[2])
for _, op in ipairs(ops) do
  local kind, key = op[1], KEYS[op[2]]
  if kind == 'hincrby' then redis.call('HINCRBY', key, op[3], op[4])
  elseif kind == 'hset' then redis.call('HSET', key, op[3], op[4])
  elseif kind == 'hdel' then redis.call('HDEL', key, op[3])
  elseif kind == 'zadd' then redis.call('ZADD', key, op[4], op[3])
  elseif kind == 'zrem' then redis.call('ZREM', key, op[3])
  elseif kind == 'del' then redis.call('DEL', key)
  elseif kind == 'set' then redis.call('SET', key, op[3])
  elseif kind == 'hincrby_once' then
    if redis.call('HSETNX', key, op[3], '1') == 1 then
      redis.call('PEXPIRE', key, op[4])
      for i = 5, #op, 3 do redis.call('HINCRBY', KEYS[op[i]], op[i + 1], op[i + 2]) end
    end
  else return redis.error_reply('unknown op ' .. tostring(kind)) end
end
for _, o in ipairs(offsets) do
  redis.call('HSET', KEYS[1], o[1], o[3])
end
return {}
`;

/**
 * Replaces live keys by replay keys in one step (KEYS: pairs [from1, to1, from2, to2, ...]).
 * A missing source key deletes the target, so an empty replay yields an empty state.
 */
export const SWITCH_SCRIPT = `
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 1])
  else
    redis.call('DEL', KEYS[i + 1])
  end
end
return #KEYS / 2
`;
