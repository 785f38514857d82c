/**
 * The Lua that makes Redis counters atomic across gateway instances. Redis runs one script at a time, so "check every
 * claim, then add every claim" cannot interleave with another instance's reservation.
 *
 * Lua numbers are IEEE doubles: integers are exact only below 2^53 (9.007e15 nano-dollars, about $9M). A plain
 * `tonumber(GET key) + amount > limit` would therefore compare wrongly on counters above $9M (and requests/tokens
 * above 9e15, which never happens). So values are never turned into one Lua number: each decimal string is split into
 * a high part and nine low digits (value = hi * 1e9 + lo, 0 <= lo < 1e9), sums carry between them, and comparisons are
 * lexicographic on (hi, lo). Each part stays far below 2^53, so the check is exact over Redis's whole int64 range.
 * Writes use INCRBY with the amount as a decimal string, which Redis applies in exact int64 arithmetic; a counter
 * beyond ±9.2e18 (≈ $9.2 billion in nano-dollars) makes INCRBY fail instead of wrapping.
 */
const HI_LO = `
local B = 1000000000
local function split(s)
  if not s then return 0, 0 end
  local neg = string.sub(s, 1, 1) == '-'
  if neg then s = string.sub(s, 2) end
  local n = #s
  local hi, lo = 0, 0
  if n > 9 then
    hi = tonumber(string.sub(s, 1, n - 9))
    lo = tonumber(string.sub(s, n - 8))
  else
    lo = tonumber(s)
  end
  if neg then
    hi, lo = -hi, -lo
    if lo < 0 then lo = lo + B; hi = hi - 1 end
  end
  return hi, lo
end
local function norm(hi, lo)
  local carry = math.floor(lo / B)
  return hi + carry, lo - carry * B
end
local function fmt(hi, lo)
  local sign = ''
  if hi < 0 then
    sign = '-'
    if lo > 0 then hi = hi + 1; lo = B - lo end
    hi = -hi
  end
  if hi == 0 then return sign .. string.format('%.0f', lo) end
  return sign .. string.format('%.0f', hi) .. string.format('%09.0f', lo)
end
`;

/**
 * reserve. KEYS: the reservation's marker, then every claim's keys, claim after claim. ARGV: the marker's TTL, then per
 * claim `nkeys, amount, limit ('' = none), ttl`. Returns {1, total per claim after adding (decimal strings)} when
 * everything was added, or {0, index (0-based), current} with nothing added. Only a reserve that added sets its marker:
 * UNDO_LUA reads it to tell whether a reserve whose reply never came did reserve, SETTLE_LUA whether the reservation
 * is still held.
 */
export const RESERVE_LUA = `${HI_LO}
local claims = {}
local k = 2
for a = 2, #ARGV, 4 do
  local c = { first = k, nkeys = tonumber(ARGV[a]), amount = ARGV[a + 1], limit = ARGV[a + 2], ttl = ARGV[a + 3] }
  claims[#claims + 1] = c
  k = k + c.nkeys
end
local out = { 1 }
for i, c in ipairs(claims) do
  local hi, lo = 0, 0
  for j = c.first, c.first + c.nkeys - 1 do
    local h, l = split(redis.call('GET', KEYS[j]))
    hi, lo = hi + h, lo + l
  end
  local chi, clo = norm(hi, lo)
  local ahi, alo = split(c.amount)
  local thi, tlo = norm(chi + ahi, clo + alo)
  if c.limit ~= '' then
    local lhi, llo = split(c.limit)
    if thi > lhi or (thi == lhi and tlo > llo) then
      return { 0, i - 1, fmt(chi, clo) }
    end
  end
  out[i + 1] = fmt(thi, tlo)
end
for _, c in ipairs(claims) do
  redis.call('INCRBY', KEYS[c.first], c.amount)
  redis.call('EXPIRE', KEYS[c.first], c.ttl)
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return out
`;

/** add. KEYS: one key per claim (its first). ARGV: per claim `amount, ttl`. Unconditional. */
export const ADD_LUA = `
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i])
end
return #KEYS
`;

/**
 * add, once: the settle of a call that reserved nothing. KEYS: a one-time marker, then one key per claim (its first).
 * ARGV: the marker's TTL, then per claim `amount, ttl`. Adds only if the marker is not set yet, and sets it: a copy sent
 * after a settle that got no reply adds nothing if the settle ran. Returns 1 if it added.
 */
export const ADD_ONCE_LUA = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 2])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1])
end
return 1
`;

/**
 * settle. KEYS: a reservation's marker, then one key per claim (its first): the `kept` claims', then the `lost` ones'.
 * ARGV: the number of kept claims, then per claim `amount, ttl`. Adds the kept claims if the reservation is still held
 * (its marker exists: the reserve's data set survived), else the lost ones (a Redis that restarted empty, or a replica
 * without the reserve, rebuilt from the ledger), and deletes the marker. Returns 1 if it added the kept claims.
 */
export const SETTLE_LUA = `
local held = redis.call('DEL', KEYS[1]) == 1
local first, last = 2, tonumber(ARGV[1]) + 1
if not held then first, last = last + 1, #KEYS end
for i = first, last do
  local amount = ARGV[2 * i - 2]
  if amount ~= '0' then
    redis.call('INCRBY', KEYS[i], amount)
    redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1])
  end
end
if held then return 1 end
return 0
`;

/**
 * undo. KEYS: a reservation's marker, then one key per claim (its first). ARGV: per claim `-amount, ttl`. Takes the
 * reservation back only if its reserve ran and added (the marker exists), and at most once (DEL removes the marker):
 * safe to send whether the reserve ran, refused, never arrived, or was undone already. Returns 1 if it took it back.
 * With a settle's `kept` amounts instead, it is the copy of a settle that got no reply (redis.ts settle): it settles
 * the reservation only if nothing settled it yet.
 */
export const UNDO_LUA = `
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 3])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 2])
end
return 1
`;
