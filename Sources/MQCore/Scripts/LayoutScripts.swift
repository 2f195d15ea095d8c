import MQRedis

/// The scripts that move members of a declared layout's keys. Each move
/// names the exact member and removes it (ZREM, LREM 1) before it adds it
/// elsewhere, so a member moved here and by the application's own poller
/// at once arrives once; a member already gone is counted as missing.
/// Every script checks the types of its keys before its first write.
///
/// Kinds in ARGV: a list end (`left`, `right`) to push at, or `zset`.
enum LayoutScripts {
    /// Lua: `remove(key, kind, member)` takes one member out of a list or
    /// sorted set and says whether it was there; `add(key, kind, score,
    /// member)` pushes it at a list end or adds it with `score`.
    static let members = """
        local function remove(key, kind, member)
          if kind == 'zset' then return redis.call('ZREM', key, member) == 1 end
          return redis.call('LREM', key, 1, member) == 1
        end
        local function add(key, kind, score, member)
          if kind == 'zset' then redis.call('ZADD', key, score, member)
          elseif kind == 'left' then redis.call('LPUSH', key, member)
          else redis.call('RPUSH', key, member) end
        end
        local function key_type(kind) if kind == 'zset' then return 'zset' end return 'list' end
        """

    /// Lua that every move between two keys starts with: the checks, the
    /// member helpers, and the types of KEYS[1] and KEYS[2] by the kinds in
    /// ARGV[1] and ARGV[2].
    static let movePrologue = """
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], key_type(ARGV[1]))
        expect(KEYS[2], key_type(ARGV[2]))
        """

    /// Moves members from one key to another, each replaced on the way
    /// (the new member may equal the old).
    ///
    /// KEYS[1] -> the source (list or sorted set)
    /// KEYS[2] -> the target
    /// ARGV[1] -> the source kind: `zset`, or `list`
    /// ARGV[2] -> the target kind: `left`, `right` or `zset`
    /// ARGV[3] -> the score for a sorted set target
    /// ARGV[4..] -> pairs: the member as it is, the member to add
    /// Returns {moved, missing}.
    static let move = RedisScript("""
        \(movePrologue)
        local moved, missing = 0, 0
        for i = 4, #ARGV, 2 do
          if remove(KEYS[1], ARGV[1], ARGV[i]) then
            add(KEYS[2], ARGV[2], ARGV[3], ARGV[i + 1])
            moved = moved + 1
          else
            missing = missing + 1
          end
        end
        return {moved, missing}
        """)

    /// Removes members for good (purge, cancel).
    ///
    /// KEYS[1] -> the list or sorted set
    /// ARGV[1] -> its kind: `zset` or `list`
    /// ARGV[2..] -> the members
    /// Returns the number removed.
    static let remove = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], key_type(ARGV[1]))
        local removed = 0
        for i = 2, #ARGV do
          if remove(KEYS[1], ARGV[1], ARGV[i]) then removed = removed + 1 end
        end
        return removed
        """)

    /// Enqueues members, refusing the whole batch when the queue would
    /// hold more than its capacity.
    ///
    /// KEYS[1] -> the target: a ready list or the delayed set
    /// KEYS[2] -> mqctl's enqueued total, KEYS[3] -> its minute bucket
    /// KEYS[4..] -> the keys counted against the capacity (ready lists,
    ///              delayed set)
    /// ARGV[1] -> the target kind, ARGV[2] -> the score (for `zset`)
    /// ARGV[3] -> the capacity, 0 for none; ARGV[4] -> the bucket's TTL
    /// ARGV[5..] -> the members
    /// Returns {added} or {'FULL', held}.
    static let enqueue = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], key_type(ARGV[1]))
        local held = 0
        for i = 4, #KEYS do
          local t = redis.call('TYPE', KEYS[i]).ok
          if t == 'list' then held = held + redis.call('LLEN', KEYS[i])
          elseif t == 'zset' then held = held + redis.call('ZCARD', KEYS[i]) end
        end
        local capacity = tonumber(ARGV[3])
        if capacity > 0 and held + #ARGV - 4 > capacity then return {'FULL', held} end
        for i = 5, #ARGV do add(KEYS[1], ARGV[1], ARGV[2], ARGV[i]) end
        local added = #ARGV - 4
        \(QueueScripts.count("added", total: "KEYS[2]", minute: "KEYS[3]", ttl: "ARGV[4]"))
        return {added}
        """)

    /// Enqueues ids whose messages are hashes (RQ): each hash is written,
    /// then its id pushed or added, in one script per batch.
    ///
    /// KEYS[1] -> the ready list or delayed set
    /// KEYS[2] -> mqctl's enqueued total, KEYS[3] -> this minute's count
    /// ARGV[1] -> KEYS[1]'s kind: `left`, `right` or `zset`
    /// ARGV[2] -> the score for a sorted set, ARGV[3] -> the minute count's TTL
    /// ARGV[4..] -> per message: the id, its hash's key, the number of
    ///   fields, then field and value pairs
    /// Returns the number added.
    static let enqueueHashed = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], key_type(ARGV[1]))
        local i = 4
        while i <= #ARGV do
          expect(ARGV[i + 1], 'hash')
          i = i + 3 + tonumber(ARGV[i + 2]) * 2
        end
        local added = 0
        i = 4
        while i <= #ARGV do
          local id, hash, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
          redis.call('HSET', hash, unpack(ARGV, i + 3, i + 2 + n * 2))
          add(KEYS[1], ARGV[1], ARGV[2], id)
          added = added + 1
          i = i + 3 + n * 2
        end
        \(QueueScripts.count("added", total: "KEYS[2]", minute: "KEYS[3]", ttl: "ARGV[3]"))
        return added
        """)

    /// A worker's reliable fetch: up to `count` members, first tier first,
    /// each LMOVEd from its ready list into the worker's processing list
    /// for that tier, where `reap` finds it if the worker dies.
    ///
    /// KEYS[1] -> mqctl's set of processing lists in use
    /// KEYS[2..] -> pairs: a ready list, the worker's processing list for it
    /// ARGV[1] -> the end consumers pop from (`left` or `right`)
    /// ARGV[2] -> the most to take
    /// ARGV[3..] -> per pair, the name that KEYS[1] records it under
    /// Returns a flat list: tier number (1-based), member, ...
    static let fetch = RedisScript("""
        \(QueueScripts.checks)
        for i = 2, #KEYS do expect(KEYS[i], 'list') end
        local from = string.upper(ARGV[1])
        local left = tonumber(ARGV[2])
        local taken = {}
        for pair = 1, (#KEYS - 1) / 2 do
          local ready, processing = KEYS[pair * 2], KEYS[pair * 2 + 1]
          local first = true
          while left > 0 do
            local member = redis.call('LMOVE', ready, processing, from, 'LEFT')
            if not member then break end
            if first then redis.call('SADD', KEYS[1], ARGV[2 + pair]) first = false end
            taken[#taken + 1] = pair
            taken[#taken + 1] = member
            left = left - 1
          end
        end
        return taken
        """)

    /// Settles one attempt of a member a worker holds.
    ///
    /// KEYS[1] -> the worker's processing list
    /// KEYS[2] -> where the member goes: the retry set, the dead key, or
    ///            the ready list it came from (`back`); unused for `ack`
    /// KEYS[3..8] -> mqctl's processed, failed and dead totals, each
    ///               followed by its minute bucket
    /// ARGV[1] -> the member as held, ARGV[2] -> `ack`, `retry`, `dead` or `back`
    /// ARGV[3] -> the member to add, ARGV[4] -> the target kind
    /// ARGV[5] -> its score (for `zset`), ARGV[6] -> the buckets' TTL
    /// Returns 1, or 0 when the member was no longer held (reaped).
    static let settle = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], 'list')
        if ARGV[2] ~= 'ack' then expect(KEYS[2], key_type(ARGV[4])) end
        if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
        local one = 1
        if ARGV[2] == 'ack' then
          \(QueueScripts.count("one", total: "KEYS[3]", minute: "KEYS[4]", ttl: "ARGV[6]"))
          return 1
        end
        add(KEYS[2], ARGV[4], ARGV[5], ARGV[3])
        if ARGV[2] ~= 'back' then
          \(QueueScripts.count("one", total: "KEYS[5]", minute: "KEYS[6]", ttl: "ARGV[6]"))
        end
        if ARGV[2] == 'dead' then
          \(QueueScripts.count("one", total: "KEYS[7]", minute: "KEYS[8]", ttl: "ARGV[6]"))
        end
        return 1
        """)

    /// Returns what a dead worker held to the ready list it came from, at
    /// the end consumers pop from and in the order taken, so it runs next.
    /// A worker whose registration still exists is left alone.
    ///
    /// KEYS[1] -> the worker's registration (P:worker:ID)
    /// KEYS[2] -> its processing list, KEYS[3] -> the ready list
    /// KEYS[4] -> mqctl's set of processing lists in use
    /// ARGV[1] -> the end consumers pop from, ARGV[2] -> the name in KEYS[4]
    /// Returns the number returned, or -1 when the worker is alive.
    static let reap = RedisScript("""
        \(QueueScripts.checks)
        expect(KEYS[2], 'list')
        expect(KEYS[3], 'list')
        if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
        local to = string.upper(ARGV[1])
        local returned = 0
        while redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', to) do returned = returned + 1 end
        redis.call('SREM', KEYS[4], ARGV[2])
        return returned
        """)

    /// Moves layout members into a native queue, each as a new envelope.
    ///
    /// KEYS[1] -> the layout key read from, KEYS[2] -> the native ready
    ///            list (normal tier) or the delayed, retry or dead set
    /// KEYS[3] -> the native queue's wake list
    /// KEYS[3+i] -> P:{Q}:msg:ID of message i
    /// ARGV[1] -> the source kind (`zset` or `list`), ARGV[2] -> the state
    /// then per message: the member, the id, the score (run-at or
    ///   failed-at, ms), the number N of envelope field values, and N
    ///   values (field, value, ...)
    /// Returns {moved, missing}: a member gone from the source, or whose id
    /// already has an envelope, is not moved (and is left where it was).
    static let migrateIn = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], key_type(ARGV[1]))
        local to_list = ARGV[2] == 'ready'
        if to_list then expect(KEYS[2], 'list') else expect(KEYS[2], 'zset') end
        local moved, missing = 0, 0
        local a, i = 3, 1
        while a <= #ARGV do
          local member, id, score, n = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
          local key = KEYS[3 + i]
          if redis.call('EXISTS', key) == 0 and remove(KEYS[1], ARGV[1], member) then
            redis.call('HSET', key, unpack(ARGV, a + 4, a + 3 + n))
            if to_list then redis.call('RPUSH', KEYS[2], id) else redis.call('ZADD', KEYS[2], score, id) end
            moved = moved + 1
          else
            missing = missing + 1
          end
          a = a + 4 + n
          i = i + 1
        end
        if to_list and moved > 0 then \(QueueScripts.wake("KEYS[3]")) end
        return {moved, missing}
        """)

    /// Adds imported members, skipping any already there (ZADD NX; LPOS
    /// for lists), so an import cut short can be run again.
    ///
    /// KEYS[1] -> the target list or sorted set
    /// ARGV[1] -> the target kind: `left`, `right` or `zset`
    /// ARGV[2..] -> pairs: score (for `zset`), member
    /// Returns {added, already there}.
    static let importMembers = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], key_type(ARGV[1]))
        local added, existing = 0, 0
        for i = 2, #ARGV, 2 do
          local there
          if ARGV[1] == 'zset' then there = redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1]) == 0
          else there = redis.call('LPOS', KEYS[1], ARGV[i + 1]) ~= false end
          if there then existing = existing + 1
          else
            if ARGV[1] ~= 'zset' then add(KEYS[1], ARGV[1], 0, ARGV[i + 1]) end
            added = added + 1
          end
        end
        return {added, existing}
        """)

    /// Moves id members whose messages live in hashes, setting fields of
    /// each message as it goes (RQ's requeue: status, enqueued_at, ...).
    ///
    /// KEYS[1] -> the source, KEYS[2] -> the target
    /// KEYS[3..] -> the message hash of each id, in ARGV's order
    /// ARGV[1] -> the source kind, ARGV[2] -> the target kind
    /// ARGV[3] -> the score for a sorted set target
    /// ARGV[4] -> N, the number of field/value pairs that follow
    /// ARGV[5..4+2N] -> field, value, ...; then the ids
    /// Returns {moved, missing}; an id whose hash is gone is not moved.
    static let moveIDs = RedisScript("""
        \(movePrologue)
        local n = tonumber(ARGV[4])
        local first = 5 + 2 * n
        for i = first, #ARGV do expect(KEYS[3 + i - first], 'hash') end
        local moved, missing = 0, 0
        for i = first, #ARGV do
          local key = KEYS[3 + i - first]
          if redis.call('EXISTS', key) == 1 and remove(KEYS[1], ARGV[1], ARGV[i]) then
            if n > 0 then redis.call('HSET', key, unpack(ARGV, 5, 4 + 2 * n)) end
            add(KEYS[2], ARGV[2], ARGV[3], ARGV[i])
            moved = moved + 1
          else
            missing = missing + 1
          end
        end
        return {moved, missing}
        """)

    /// Moves id members whose JSON sits in a hash per role (Dramatiq),
    /// each under a new id written into its JSON on the way.
    ///
    /// KEYS[1] -> the source, KEYS[2] -> the target
    /// KEYS[3] -> the source's message hash, KEYS[4] -> the target's
    /// ARGV[1] -> the source kind, ARGV[2] -> the target kind
    /// ARGV[3] -> the score for a sorted set target
    /// ARGV[4..] -> triples: the id as it is, the new id, the new JSON
    /// Returns {moved, missing}; an id whose JSON is gone is not moved.
    static let moveRoleHashed = RedisScript("""
        \(movePrologue)
        expect(KEYS[3], 'hash')
        expect(KEYS[4], 'hash')
        local moved, missing = 0, 0
        for i = 4, #ARGV, 3 do
          if redis.call('HEXISTS', KEYS[3], ARGV[i]) == 1 and remove(KEYS[1], ARGV[1], ARGV[i]) then
            redis.call('HDEL', KEYS[3], ARGV[i])
            redis.call('HSET', KEYS[4], ARGV[i + 1], ARGV[i + 2])
            add(KEYS[2], ARGV[2], ARGV[3], ARGV[i + 1])
            moved = moved + 1
          else
            missing = missing + 1
          end
        end
        return {moved, missing}
        """)

    /// Enqueues JSON messages kept in a hash per role (Dramatiq's enqueue).
    ///
    /// KEYS[1] -> the ready list, KEYS[2] -> its message hash
    /// KEYS[3] -> mqctl's enqueued total, KEYS[4] -> its minute bucket
    /// ARGV[1] -> the end to push at, ARGV[2] -> the bucket's TTL
    /// ARGV[3..] -> pairs: the new id, the JSON
    /// Returns the number added.
    static let enqueueRoleHashed = RedisScript("""
        \(QueueScripts.checks)
        \(members)
        expect(KEYS[1], 'list')
        expect(KEYS[2], 'hash')
        for i = 3, #ARGV, 2 do
          redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
          add(KEYS[1], ARGV[1], 0, ARGV[i])
        end
        local added = (#ARGV - 2) / 2
        \(QueueScripts.count("added", total: "KEYS[3]", minute: "KEYS[4]", ttl: "ARGV[2]"))
        return added
        """)
}
