import MQRedis

/// The scripts of the consumer worker. A fetched message carries a lease
/// token (in the envelope's `worker` field); ack, fail, extend and release
/// act only while the token still matches, so a worker whose lease expired
/// and was reaped cannot touch a message another worker now holds.
extension QueueScripts {
    /// Moves up to a count of ids from the ready tiers, express first, to
    /// inflight with a lease deadline. A paused queue gives nothing. When
    /// ready messages remain, wakes the next idle worker.
    ///
    /// KEYS[1..3] -> P:{Q}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4]    -> P:{Q}:inflight
    /// KEYS[5]    -> P:{Q}:config
    /// KEYS[6]    -> P:{Q}:wake
    /// ARGV[1]    -> lease deadline (ms); ARGV[2] -> the most ids to take
    ///
    /// Returns: the ids taken, in fetch order.
    static let fetch = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'hash') expect(KEYS[6], 'list')
        if setting(KEYS[5], 'paused', 0) == 1 then return {} end
        local taken, leases = {}, {}
        for tier = 1, 3 do
          local want = tonumber(ARGV[2]) - #taken
          if want <= 0 then break end
          local ids = redis.call('LPOP', KEYS[tier], want)
          if ids then
            for _, id in ipairs(ids) do
              taken[#taken + 1] = id
              leases[#leases + 1] = ARGV[1]
              leases[#leases + 1] = id
            end
          end
        end
        -- One ZADD for the batch: a call per id costs more than the id.
        if #taken > 0 then redis.call('ZADD', KEYS[4], unpack(leases)) end
        if #taken > 0 and redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) > 0 then
          \(wake("KEYS[6]"))
        end
        return taken
        """)

    /// Starts the attempt of fetched messages: counts it, marks the
    /// envelope inflight with the lease token (and the worker's
    /// --max-attempts, so the handler and `dlq show` see the limit that
    /// applies), and returns it. Its first write is an HDEL, which Redis
    /// allows at maxmemory (HSET it refuses until a script has written):
    /// on a full Redis messages still run, and their acks free memory.
    ///
    /// KEYS[i] -> P:{Q}:msg:ID of message i
    /// ARGV[1] -> the lease token; ARGV[2] -> max attempts, or "" to keep the envelope's
    ///
    /// Returns: per message its HGETALL after the update ({} when the
    ///   envelope is missing, an error when its key is not a hash: nothing
    ///   is written then). A corrupt envelope must not fail the batch, so
    ///   a count that will not increment is left for the reader to report.
    static let start = RedisScript("""
        local result = {}
        for i = 1, #KEYS do
          local type = redis.call('TYPE', KEYS[i]).ok
          if type == 'hash' then
            redis.call('HDEL', KEYS[i], 'settled_by')
            redis.pcall('HINCRBY', KEYS[i], 'attempts', 1)
            redis.call('HSET', KEYS[i], 'state', 'inflight', 'worker', ARGV[1])
            if ARGV[2] ~= '' then redis.call('HSET', KEYS[i], 'max_attempts', ARGV[2]) end
            result[i] = redis.call('HGETALL', KEYS[i])
          elseif type == 'none' then
            result[i] = {}
          else
            result[i] = {err = 'the envelope ' .. KEYS[i] .. ' is a ' .. type .. ', not a hash'}
          end
        end
        return result
        """)

    /// Lua: whether the envelope at `msg_key` is a hash leased to `token`.
    /// One call: on a key of another type HGET's error is not the token.
    private static let held = """
        local function held(msg_key, token)
          return redis.pcall('HGET', msg_key, 'worker') == token
        end
        """

    /// Acknowledges handled messages: removes them and counts them. Its
    /// first write is a ZREM, which Redis allows at maxmemory.
    ///
    /// KEYS[1] -> P:{Q}:inflight
    /// KEYS[2] -> P:{Q}:count:processed, KEYS[3] -> P:{Q}:count:processed:MINUTE
    /// KEYS[3+i] -> P:{Q}:msg:ID for ARGV[2+i]
    /// ARGV[1] -> the lease token; ARGV[2] -> minute-bucket TTL (s)
    ///
    /// Returns: per id 1 acknowledged, 0 the lease was lost (another
    ///   token holds it, or the reaper took it back), 2 the envelope is
    ///   gone (an earlier try of this ack, whose reply never came, did it).
    static let ack = RedisScript("""
        \(checks)
        \(held)
        expect(KEYS[1], 'zset') expect_all(2, 3, 'string')
        local result, ids, envelopes, seen = {}, {}, {}, {}
        for i = 3, #ARGV do
          local msg_key = KEYS[i + 1]
          if seen[msg_key] then
            result[i - 2] = 2
          elseif held(msg_key, ARGV[1]) then
            seen[msg_key] = true
            ids[#ids + 1] = ARGV[i]
            envelopes[#envelopes + 1] = msg_key
            result[i - 2] = 1
          elseif redis.call('EXISTS', msg_key) == 0 then
            result[i - 2] = 2
          else
            result[i - 2] = 0
          end
        end
        -- One ZREM and one DEL for the batch, the ZREM first.
        local done = #ids
        if done > 0 then
          redis.call('ZREM', KEYS[1], unpack(ids))
          redis.call('DEL', unpack(envelopes))
        end
        \(QueueScripts.count("done", total: "KEYS[2]", minute: "KEYS[3]", ttl: "ARGV[2]"))
        return result
        """)

    /// Lua shared by fail and reap: moves one inflight id to retry (at
    /// `retry_at`) or, when `retry_at` is nil, to dead; counts it failed
    /// (and dead). An envelope that is not a hash only loses its id's
    /// place: it goes to dead as it is. Uses KEYS[1..9] as laid out in
    /// those scripts, checked by `check_failed_keys` before any write.
    private static let moveFailed = """
        local function check_failed_keys()
          expect_all(1, 3, 'zset') expect(KEYS[4], 'hash') expect_all(5, 9, 'string')
          return dead_caps(KEYS[4])
        end
        local failed, dead = 0, 0
        local function move_failed(id, msg_key, retry_at, err, now)
          redis.call('ZREM', KEYS[1], id)
          failed = failed + 1
          if not is_hash(msg_key) then
            redis.call('ZADD', KEYS[3], now, id)
            dead = dead + 1
            return
          end
          if retry_at then
            redis.call('ZADD', KEYS[2], retry_at, id)
            redis.call('HSET', msg_key, 'state', 'retry', 'run_at', retry_at, 'last_error', err)
          else
            redis.call('ZADD', KEYS[3], now, id)
            redis.call('HSET', msg_key, 'state', 'dead', 'failed_at', now, 'last_error', err)
            dead = dead + 1
          end
          redis.call('HDEL', msg_key, 'worker')
        end
        local function count_failed(minute_ttl)
          \(QueueScripts.count("failed", total: "KEYS[5]", minute: "KEYS[6]", ttl: "minute_ttl"))
          \(QueueScripts.count("dead", total: "KEYS[7]", minute: "KEYS[8]", ttl: "minute_ttl"))
        end
        """

    /// Records failed attempts: each message goes to retry at its time, or
    /// to dead (the caller decides: attempts used up, or a permanent
    /// failure), and the dead-letter caps are applied.
    ///
    /// KEYS[1] -> P:{Q}:inflight, KEYS[2] -> :retry, KEYS[3] -> :dead, KEYS[4] -> :config
    /// KEYS[5], KEYS[6] -> P:{Q}:count:failed and its MINUTE bucket
    /// KEYS[7], KEYS[8] -> P:{Q}:count:dead and its MINUTE bucket
    /// KEYS[9] -> P:{Q}:count:dead_trimmed
    /// KEYS[10..9+n] -> P:{Q}:msg:ID of the n messages
    /// KEYS[10+n..]  -> P:{Q}:msg:ID of dead-letter trim candidates, oldest first
    /// ARGV[1] -> now (ms); ARGV[2] -> the lease token; ARGV[3] -> minute TTL (s)
    /// ARGV[4] -> n; then 3 per message: id, retry-at (ms, or "" for dead),
    ///   error; then the candidate ids
    ///
    /// Each recorded envelope keeps the token in `settled_by` (cleared by
    /// the next `start`), so a retry of this call whose reply never came
    /// can tell its own earlier write from a lost lease.
    ///
    /// Returns: {trimmed, then per message 1 recorded, 0 the lease was
    ///   lost, 2 an earlier try of this call recorded it}
    static let fail = RedisScript("""
        \(checks)
        \(trimDead)
        \(held)
        \(moveFailed)
        local dead_max, max_age = check_failed_keys()
        local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
        local result = {0}
        for i = 1, n do
          local a = 4 + (i - 1) * 3
          local msg_key = KEYS[9 + i]
          if held(msg_key, ARGV[2]) then
            local retry_at = nil
            if ARGV[a + 2] ~= '' then retry_at = tonumber(ARGV[a + 2]) end
            move_failed(ARGV[a + 1], msg_key, retry_at, ARGV[a + 3], now)
            if is_hash(msg_key) then redis.call('HSET', msg_key, 'settled_by', ARGV[2]) end
            result[i + 1] = 1
          elseif redis.call('EXISTS', msg_key) == 0 or (is_hash(msg_key) and redis.call('HGET', msg_key, 'settled_by') == ARGV[2]) then
            result[i + 1] = 2
          else
            result[i + 1] = 0
          end
        end
        count_failed(ARGV[3])
        if dead > 0 then
          local trimmed = trim_dead(KEYS[3], dead_max, max_age, now, 10 + n, 5 + 3 * n, #ARGV - 4 - 3 * n)
          if trimmed > 0 then redis.call('INCRBY', KEYS[9], trimmed) end
          result[1] = trimmed
        end
        return result
        """)

    /// Returns expired leases: each id still past its deadline goes to
    /// retry (its attempt was counted at fetch), or to dead when its
    /// attempts are used up. The lease token is cleared, so the lost
    /// worker's late ack changes nothing.
    ///
    /// KEYS[1..9] -> as for `fail`
    /// KEYS[10..9+n] -> P:{Q}:msg:ID of the n expired ids
    /// KEYS[10+n..]  -> trim candidates
    /// ARGV[1] -> now (ms); ARGV[2] -> retry-at (ms) for reaped messages;
    /// ARGV[3] -> minute TTL (s); ARGV[4] -> n; ARGV[5..4+n] -> ids;
    /// ARGV[5+n..] -> candidate ids
    ///
    /// Returns: {trimmed, retried, dead}
    static let reap = RedisScript("""
        \(checks)
        \(trimDead)
        \(moveFailed)
        local dead_max, max_age = check_failed_keys()
        local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
        local retried = 0
        for i = 1, n do
          local id, msg_key = ARGV[4 + i], KEYS[9 + i]
          local deadline = redis.call('ZSCORE', KEYS[1], id)
          if deadline and tonumber(deadline) <= now then
            -- An unreadable envelope can never run: 0 of 0 attempts left.
            local attempts, max = 0, 0
            if is_hash(msg_key) then
              attempts = tonumber(redis.call('HGET', msg_key, 'attempts') or '0') or 0
              max = tonumber(redis.call('HGET', msg_key, 'max_attempts') or '25') or 25
            end
            if attempts >= max then
              move_failed(id, msg_key, nil, 'lease expired: the worker stopped answering (attempts used up)', now)
            else
              move_failed(id, msg_key, tonumber(ARGV[2]), 'lease expired: the worker stopped answering', now)
              retried = retried + 1
            end
          end
        end
        count_failed(ARGV[3])
        local trimmed = 0
        if dead > 0 then
          trimmed = trim_dead(KEYS[3], dead_max, max_age, now, 10 + n, 5 + n, #ARGV - 4 - n)
          if trimmed > 0 then redis.call('INCRBY', KEYS[9], trimmed) end
        end
        return {trimmed, retried, dead}
        """)

    /// Extends the leases of messages still held with the token.
    ///
    /// KEYS[1] -> P:{Q}:inflight; KEYS[1+i] -> P:{Q}:msg:ID for ARGV[2+i]
    /// ARGV[1] -> new deadline (ms); ARGV[2] -> the lease token
    ///
    /// Returns: how many leases were extended.
    static let extend = RedisScript("""
        \(checks)
        \(held)
        expect(KEYS[1], 'zset')
        local extended = 0
        for i = 3, #ARGV do
          if held(KEYS[i - 1], ARGV[2]) then
            redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i])
            extended = extended + 1
          end
        end
        return extended
        """)

    /// Gives messages back untouched (graceful shutdown): to the front of
    /// their tier, the attempt uncounted.
    ///
    /// KEYS[1..3] -> P:{Q}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4] -> P:{Q}:inflight; KEYS[5] -> P:{Q}:wake
    /// KEYS[5+i] -> P:{Q}:msg:ID for ARGV[1+i]
    /// ARGV[1] -> the lease token
    ///
    /// Returns: how many went back.
    static let release = RedisScript("""
        \(checks)
        \(held)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'list')
        \(tiers)
        local released = 0
        for i = #ARGV, 2, -1 do
          local msg_key = KEYS[i + 4]
          if held(msg_key, ARGV[1]) then
            redis.call('ZREM', KEYS[4], ARGV[i])
            redis.pcall('HINCRBY', msg_key, 'attempts', -1)
            redis.call('HSET', msg_key, 'state', 'ready')
            redis.call('HDEL', msg_key, 'worker')
            redis.call('LPUSH', tiers[redis.call('HGET', msg_key, 'priority')] or KEYS[3], ARGV[i])
            released = released + 1
          end
        end
        if released > 0 then \(wake("KEYS[5]")) end
        return released
        """)
}
