import MQRedis

/// The Lua scripts that move messages between states. Each move is one
/// script, so a message is never in two states and never in none
/// (DESIGN.md §3). Every key a script touches arrives in KEYS, and all of
/// them share the queue's hash tag.
enum QueueScripts {
    /// Lua that pushes a wake-up token to a queue's wake list, capped, so
    /// an idle worker blocked on it fetches at once.
    static func wake(_ key: String) -> String {
        "redis.call('LPUSH', \(key), '1') redis.call('LTRIM', \(key), 0, 99)"
    }

    /// Lua: the ready lists by priority name, for scripts whose KEYS[1..3]
    /// are the express, urgent and normal tiers.
    static let tiers = "local tiers = {express = KEYS[1], urgent = KEYS[2], normal = KEYS[3]}"

    /// Lua: `push_ready(ready)` appends ids, given per priority name, to
    /// their tiers with one RPUSH each, so they keep their order, and says
    /// whether it pushed any. Needs `tiers`.
    static let pushReady = """
        local function push_ready(ready)
          local pushed = false
          for priority, ids in pairs(ready) do
            if #ids > 0 then
              redis.call('RPUSH', tiers[priority], unpack(ids))
              pushed = true
            end
          end
          return pushed
        end
        """

    /// Lua that adds `count` to a counter's running total and to its
    /// minute bucket, which expires after `ttl` seconds.
    static func count(_ count: String, total: String, minute: String, ttl: String) -> String {
        """
        if \(count) > 0 then
          redis.call('INCRBY', \(total), \(count))
          redis.call('INCRBY', \(minute), \(count))
          redis.call('EXPIRE', \(minute), \(ttl))
        end
        """
    }

    /// KEYS[1..10] of `enqueue` and `enqueuePayloads`, as those scripts
    /// document them, for a call made at `now`.
    static func enqueueKeys(_ k: QueueKeys, now: Int64) -> [String] {
        let minute = now / 60_000
        return k.readyTiers + [k.delayed, k.config, k.counter(.enqueued), k.counter(.enqueued, minute: minute), k.wake,
                               k.counter(.rejected), k.counter(.rejected, minute: minute)]
    }

    /// Enqueues a batch of messages into one queue.
    ///
    /// KEYS[1..3] -> P:{Q}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4]    -> P:{Q}:delayed
    /// KEYS[5]    -> P:{Q}:config
    /// KEYS[6]    -> P:{Q}:count:enqueued
    /// KEYS[7]    -> P:{Q}:count:enqueued:MINUTE
    /// KEYS[8]    -> P:{Q}:wake
    /// KEYS[9]    -> P:{Q}:count:rejected, KEYS[10] -> its MINUTE bucket
    /// then for message i: KEYS[9+2i] -> P:{Q}:msg:ID, KEYS[10+2i] -> P:{Q}:idem:KEY
    ///   (the message key again when the message has no idempotency key)
    /// ARGV[1] -> now (ms)
    /// ARGV[2] -> idempotency TTL (ms)
    /// ARGV[3] -> minute-bucket TTL (s)
    /// ARGV[4] -> unused, keeps the per-message groups aligned on 4
    /// then for message i, 7 values from ARGV[5+7(i-1)]: id, priority,
    ///   run-at (ms), payload, headers JSON, max attempts ("" for the
    ///   queue's), "1" when it has an idempotency key
    ///
    /// Returns: one string per message: "r" ready, "d" delayed, "x" the id
    ///   is taken, "f" max_length reached, or "=" followed by the first
    ///   message's id for an idempotency key already seen. Refused messages
    ///   write nothing; a key of the wrong type or a corrupt setting
    ///   raises an error before anything is written.
    static let enqueue = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'hash')
        expect_all(6, 7, 'string') expect(KEYS[8], 'list') expect_all(9, 10, 'string')
        local now = tonumber(ARGV[1])
        local maxlen = setting(KEYS[5], 'max_length', 0)
        local default_attempts = tostring(setting(KEYS[5], 'max_attempts', 25))
        local count = (#ARGV - 4) / 7
        for i = 1, count do
          if ARGV[4 + (i - 1) * 7 + 7] == '1' then expect(KEYS[10 + 2 * i], 'string') end
        end
        local size = 0
        if maxlen > 0 then
          size = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3])
            + redis.call('ZCARD', KEYS[4])
        end
        -- Ready ids are pushed once per tier at the end, in order.
        local ready = {express = {}, urgent = {}, normal = {}}
        \(tiers)
        \(pushReady)
        local results = {}
        local added, rejected = 0, 0
        for i = 1, count do
          local a = 4 + (i - 1) * 7
          local id, priority, run_at = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
          local msg_key, idem_key = KEYS[9 + 2 * i], KEYS[10 + 2 * i]
          local has_idem = ARGV[a + 7] == '1'
          local existing = has_idem and redis.call('GET', idem_key)
          if existing then
            results[i] = '=' .. existing
          elseif redis.call('EXISTS', msg_key) == 1 then
            results[i] = 'x'
          elseif maxlen > 0 and size >= maxlen then
            results[i] = 'f'
            rejected = rejected + 1
          else
            local state = 'ready'
            if run_at > now then state = 'delayed' end
            local attempts = ARGV[a + 6]
            if attempts == '' then attempts = default_attempts end
            redis.call('HSET', msg_key, 'payload', ARGV[a + 4], 'headers', ARGV[a + 5], 'priority', priority,
              'attempts', '0', 'max_attempts', attempts, 'enqueued_at', ARGV[1], 'run_at', ARGV[a + 3], 'state', state)
            if state == 'delayed' then
              redis.call('ZADD', KEYS[4], run_at, id)
              results[i] = 'd'
            else
              local list = ready[priority]
              list[#list + 1] = id
              results[i] = 'r'
            end
            if has_idem then
              redis.call('SET', idem_key, id, 'PX', ARGV[2])
            end
            size = size + 1
            added = added + 1
          end
        end
        if push_ready(ready) then \(wake("KEYS[8]")) end
        \(count("added", total: "KEYS[6]", minute: "KEYS[7]", ttl: "ARGV[3]"))
        \(count("rejected", total: "KEYS[9]", minute: "KEYS[10]", ttl: "ARGV[3]"))
        return results
        """)

    /// Enqueues payloads that share every option (`enqueue --stdin`): the
    /// options cross the wire once per call, and each message is its id
    /// and payload. The ids are fresh ULIDs the caller generated, so no
    /// message key is checked for being taken; messages past max_length
    /// are the batch's tail, refused and counted as rejected.
    ///
    /// KEYS[1..10] -> as for `enqueue`
    /// then KEYS[10+i] -> P:{Q}:msg:ID of message i
    /// ARGV[1] -> now (ms)
    /// ARGV[2] -> minute-bucket TTL (s)
    /// ARGV[3] -> priority
    /// ARGV[4] -> run-at (ms)
    /// ARGV[5] -> headers JSON
    /// ARGV[6] -> max attempts ("" for the queue's)
    /// then for message i: ARGV[5+2i] -> its id, ARGV[6+2i] -> its payload
    ///
    /// Returns: {written, rejected}. A key of the wrong type or a corrupt
    ///   setting raises an error before anything is written.
    static let enqueuePayloads = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'hash')
        expect_all(6, 7, 'string') expect(KEYS[8], 'list') expect_all(9, 10, 'string')
        local now, run_at = tonumber(ARGV[1]), tonumber(ARGV[4])
        \(tiers)
        local tier = tiers[ARGV[3]]
        if not tier then error({err = 'BADPRIORITY ' .. ARGV[3]}) end
        local maxlen = setting(KEYS[5], 'max_length', 0)
        local attempts = ARGV[6]
        if attempts == '' then attempts = tostring(setting(KEYS[5], 'max_attempts', 25)) end
        local count = (#ARGV - 6) / 2
        local written = count
        if maxlen > 0 then
          local size = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3])
            + redis.call('ZCARD', KEYS[4])
          written = math.max(0, math.min(count, maxlen - size))
        end
        local state = 'ready'
        if run_at > now then state = 'delayed' end
        local members = {}
        for i = 1, written do
          local id = ARGV[5 + 2 * i]
          redis.call('HSET', KEYS[10 + i], 'payload', ARGV[6 + 2 * i], 'headers', ARGV[5], 'priority', ARGV[3],
            'attempts', '0', 'max_attempts', attempts, 'enqueued_at', ARGV[1], 'run_at', ARGV[4], 'state', state)
          if state == 'delayed' then
            members[#members + 1] = ARGV[4]
          end
          members[#members + 1] = id
        end
        if written > 0 then
          if state == 'delayed' then
            redis.call('ZADD', KEYS[4], unpack(members))
          else
            redis.call('RPUSH', tier, unpack(members))
            \(wake("KEYS[8]"))
          end
        end
        local rejected = count - written
        \(count("written", total: "KEYS[6]", minute: "KEYS[7]", ttl: "ARGV[2]"))
        \(count("rejected", total: "KEYS[9]", minute: "KEYS[10]", ttl: "ARGV[2]"))
        return {written, rejected}
        """)

    /// Moves ids from a delayed or retry set to their ready tier, each only
    /// if it is still in the set and due: two promoters racing over the
    /// same ids move each once. An id whose envelope is missing or not a
    /// hash cannot run: it goes to the dead set instead (the caller trims
    /// the set to its caps afterwards), where `dlq list` shows why.
    ///
    /// KEYS[1..3] -> P:{Q}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4]    -> the source: P:{Q}:delayed or P:{Q}:retry
    /// KEYS[5]    -> P:{Q}:wake
    /// KEYS[6]    -> P:{Q}:dead
    /// KEYS[7], KEYS[8] -> P:{Q}:count:dead and its MINUTE bucket
    /// KEYS[8+i]  -> P:{Q}:msg:ID for ARGV[4+i]
    /// ARGV[1]    -> due cutoff (ms): ids scored above it stay
    /// ARGV[2]    -> new run_at (ms) for the moved messages, or "" to keep it
    /// ARGV[3]    -> now (ms), the failed-at of dead-lettered ids
    /// ARGV[4]    -> minute-bucket TTL (s)
    /// ARGV[4+i]  -> id i
    ///
    /// Returns: per id 1 moved, 0 not there (or not due), 2 dead-lettered.
    static let promote = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'zset') expect(KEYS[5], 'list') expect(KEYS[6], 'zset')
        expect_all(7, 8, 'string')
        local cutoff = tonumber(ARGV[1])
        \(tiers)
        local result, moved, dead = {}, 0, 0
        for i = 5, #ARGV do
          local id = ARGV[i]
          local msg_key = KEYS[i + 4]
          local score = redis.call('ZSCORE', KEYS[4], id)
          result[i - 4] = 0
          if score and tonumber(score) <= cutoff then
            redis.call('ZREM', KEYS[4], id)
            if is_hash(msg_key) then
              local tier = tiers[redis.call('HGET', msg_key, 'priority') or 'normal'] or KEYS[3]
              redis.call('RPUSH', tier, id)
              redis.call('HSET', msg_key, 'state', 'ready')
              if ARGV[2] ~= '' then redis.call('HSET', msg_key, 'run_at', ARGV[2]) end
              moved = moved + 1
              result[i - 4] = 1
            else
              redis.call('ZADD', KEYS[6], ARGV[3], id)
              dead = dead + 1
              result[i - 4] = 2
            end
          end
        end
        if moved > 0 then \(wake("KEYS[5]")) end
        \(count("dead", total: "KEYS[7]", minute: "KEYS[8]", ttl: "ARGV[4]"))
        return result
        """)

    /// Deletes a message that is still in the delayed set.
    ///
    /// KEYS[1] -> P:{Q}:delayed
    /// KEYS[2] -> P:{Q}:msg:ID
    /// ARGV[1] -> id
    ///
    /// Returns: 1 when deleted, 0 when the id is not delayed.
    static let cancelDelayed = RedisScript("""
        \(checks)
        expect(KEYS[1], 'zset')
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          redis.call('DEL', KEYS[2])
          return 1
        end
        return 0
        """)
}
