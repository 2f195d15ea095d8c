import MQRedis

extension QueueScripts {
    /// Lua shared by the scripts that add dead letters: removes, among the
    /// candidates given (oldest first), those beyond `dead_max` or older
    /// than `dead_max_age` (0 turns either cap off), with their envelopes.
    /// `dead_caps` reads the caps, raising on a corrupt setting: call it
    /// before the first write. Returns how many went.
    static let trimDead = """
        local function dead_caps(config)
          return setting(config, 'dead_max', 10000), setting(config, 'dead_max_age', 15552000000)
        end
        local function trim_dead(dead, dead_max, max_age, now, first_key, first_arg, count)
          local size = redis.call('ZCARD', dead)
          local cutoff = now - max_age
          local trimmed = 0
          for j = 0, count - 1 do
            local id = ARGV[first_arg + j]
            local score = redis.call('ZSCORE', dead, id)
            if score and ((dead_max > 0 and size > dead_max) or (max_age > 0 and tonumber(score) < cutoff)) then
              redis.call('ZREM', dead, id)
              redis.call('DEL', KEYS[first_key + j])
              size = size - 1
              trimmed = trimmed + 1
            end
          end
          return trimmed
        end
        """

    /// Moves messages from a waiting set (inflight, retry, delayed) to the
    /// dead set, scored by failed-at, and enforces the dead-letter caps in
    /// the same step. With no ids it only trims.
    ///
    /// KEYS[1] -> the source: P:{Q}:inflight, :retry or :delayed
    /// KEYS[2] -> P:{Q}:dead
    /// KEYS[3] -> P:{Q}:config
    /// KEYS[4] -> P:{Q}:count:dead, KEYS[5] -> P:{Q}:count:dead:MINUTE
    /// KEYS[6] -> P:{Q}:count:dead_trimmed
    /// KEYS[7..6+n]   -> P:{Q}:msg:ID of the n ids to kill
    /// KEYS[7+n..]    -> P:{Q}:msg:ID of the trim candidates, oldest first
    /// ARGV[1] -> now (ms); ARGV[2] -> last_error, or "" to keep it
    /// ARGV[3] -> n; ARGV[4] -> minute-bucket TTL (s)
    /// ARGV[5..4+n] -> ids to kill; ARGV[5+n..] -> candidate ids
    ///
    /// Returns: {trimmed, then 1 or 0 per id: killed, or not in the source}
    static let kill = RedisScript("""
        \(checks)
        \(trimDead)
        expect(KEYS[1], 'zset') expect(KEYS[2], 'zset') expect(KEYS[3], 'hash') expect_all(4, 6, 'string')
        local dead_max, max_age = dead_caps(KEYS[3])
        local now, n = tonumber(ARGV[1]), tonumber(ARGV[3])
        local result = {0}
        local killed = 0
        for i = 1, n do
          local id, msg_key = ARGV[4 + i], KEYS[6 + i]
          if redis.call('ZREM', KEYS[1], id) == 1 then
            redis.call('ZADD', KEYS[2], now, id)
            -- An envelope that is not a hash cannot take the reason: only its id moves.
            if is_hash(msg_key) then
              redis.call('HSET', msg_key, 'state', 'dead', 'failed_at', ARGV[1])
              if ARGV[2] ~= '' then redis.call('HSET', msg_key, 'last_error', ARGV[2]) end
            end
            killed = killed + 1
            result[i + 1] = 1
          else
            result[i + 1] = 0
          end
        end
        \(QueueScripts.count("killed", total: "KEYS[4]", minute: "KEYS[5]", ttl: "ARGV[4]"))
        local trimmed = trim_dead(KEYS[2], dead_max, max_age, now, 7 + n, 5 + n, #ARGV - 4 - n)
        if trimmed > 0 then redis.call('INCRBY', KEYS[6], trimmed) end
        result[1] = trimmed
        return result
        """)

    /// Moves dead letters back to their ready tier.
    ///
    /// KEYS[1..3] -> P:{Q}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4]    -> P:{Q}:dead
    /// KEYS[5]    -> P:{Q}:wake
    /// KEYS[6]    -> P:{Q}:transfers
    /// KEYS[6+i]  -> P:{Q}:msg:ID for ARGV[2+i]
    /// ARGV[1]    -> now (ms), the new run_at
    /// ARGV[2]    -> "1" keeps attempts, "0" resets them
    /// ARGV[2+i]  -> id i
    ///
    /// Returns: per id 1 replayed, 0 not a dead letter, 2 skipped: its
    ///   envelope is missing or not a hash, so it stays dead rather than
    ///   reach a worker as an id with no message, or it is on its way to
    ///   another queue (`transferOut`).
    static let replay = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'list') expect(KEYS[6], 'hash')
        \(tiers)
        \(pushReady)
        local ready = {express = {}, urgent = {}, normal = {}}
        local reset = ARGV[2] ~= '1'
        local result = {}
        for i = 3, #ARGV do
          local id, msg_key = ARGV[i], KEYS[i + 4]
          if redis.call('HEXISTS', KEYS[6], id) == 1 then
            result[i - 2] = 2
          elseif not is_hash(msg_key) then
            -- No readable envelope: leave the id dead (2), or it was never dead (0).
            if redis.call('ZSCORE', KEYS[4], id) then result[i - 2] = 2 else result[i - 2] = 0 end
          elseif redis.call('ZREM', KEYS[4], id) == 0 then
            result[i - 2] = 0
          else
            local priority = redis.call('HGET', msg_key, 'priority')
            local list = ready[priority] or ready.normal
            list[#list + 1] = id
            if reset then
              redis.call('HSET', msg_key, 'state', 'ready', 'run_at', ARGV[1], 'attempts', '0')
            else
              redis.call('HSET', msg_key, 'state', 'ready', 'run_at', ARGV[1])
            end
            result[i - 2] = 1
          end
        end
        if push_ready(ready) then \(wake("KEYS[5]")) end
        return result
        """)

    /// Deletes dead letters with their envelopes.
    ///
    /// KEYS[1]   -> P:{Q}:dead
    /// KEYS[1+i] -> P:{Q}:msg:ID for ARGV[i]
    /// ARGV[i]   -> id i
    ///
    /// Returns: 1 or 0 per id: deleted, or not a dead letter.
    static let purge = RedisScript("""
        \(checks)
        expect(KEYS[1], 'zset')
        local result = {}
        for i = 1, #ARGV do
          if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
            redis.call('DEL', KEYS[i + 1])
            result[i] = 1
          else
            result[i] = 0
          end
        end
        return result
        """)

    /// Writes whole envelopes, as exported, into the dead set or the ready
    /// tiers. An id that exists is refused and nothing of it is written.
    ///
    /// KEYS[1..3] -> P:{Q}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4]    -> P:{Q}:dead
    /// KEYS[5]    -> P:{Q}:wake
    /// KEYS[5+i]  -> P:{Q}:msg:ID of message i
    /// ARGV[1]    -> now (ms), the run_at of messages made ready
    /// ARGV[2]    -> "dead" or "ready"
    /// then 11 values per message from ARGV[3+11(i-1)]: id, payload,
    ///   headers, priority, attempts, max_attempts, enqueued_at, run_at,
    ///   failed_at (required for "dead", "" for none), last_error, "1"
    ///   when it has a last_error
    ///
    /// Returns: 1 or 0 per message: imported, or the id exists.
    static let importMessages = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'list')
        \(tiers)
        \(pushReady)
        local to_dead = ARGV[2] == 'dead'
        local result = {}
        -- One HSET per message and one ZADD or RPUSH per call: the calls,
        -- not the bytes, are what cost inside Redis.
        local dead, ready = {}, {express = {}, urgent = {}, normal = {}}
        for i = 1, (#ARGV - 2) / 11 do
          local a = 2 + (i - 1) * 11
          local id, msg_key = ARGV[a + 1], KEYS[5 + i]
          if redis.call('EXISTS', msg_key) == 1 then
            result[i] = 0
          else
            local state, run_at = 'dead', ARGV[a + 8]
            if not to_dead then state, run_at = 'ready', ARGV[1] end
            local fields = {'payload', ARGV[a + 2], 'headers', ARGV[a + 3], 'priority', ARGV[a + 4],
              'attempts', ARGV[a + 5], 'max_attempts', ARGV[a + 6], 'enqueued_at', ARGV[a + 7], 'run_at', run_at,
              'state', state}
            if ARGV[a + 9] ~= '' then fields[#fields + 1] = 'failed_at' fields[#fields + 1] = ARGV[a + 9] end
            if ARGV[a + 11] == '1' then fields[#fields + 1] = 'last_error' fields[#fields + 1] = ARGV[a + 10] end
            redis.call('HSET', msg_key, unpack(fields))
            if to_dead then
              dead[#dead + 1] = ARGV[a + 9]
              dead[#dead + 1] = id
            else
              local list = ready[ARGV[a + 4]] or ready.normal
              list[#list + 1] = id
            end
            result[i] = 1
          end
        end
        if #dead > 0 then redis.call('ZADD', KEYS[4], unpack(dead)) end
        if push_ready(ready) then \(wake("KEYS[5]")) end
        return result
        """)
}
