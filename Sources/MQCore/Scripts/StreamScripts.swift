import MQRedis

extension QueueScripts {
    /// Moves one pending stream entry that was delivered too often to a
    /// dead stream, with the reason, and acknowledges it in the group: XADD
    /// there and XACK here in one step, so the entry is never both pending
    /// and dead, nor neither.
    ///
    /// The dead entry starts with six bookkeeping fields, always in this
    /// order, then the entry's own fields: `source_stream` (the stream's
    /// name, so `streams replay` knows where it goes back to), `source_id`,
    /// `group`, `deliveries`, `consumer`, `reason`. `Streams.DeadEntryHeader`
    /// reads them back by position, so an entry's own field of the same
    /// name is never mistaken for one of them.
    ///
    /// KEYS[1] -> the stream; KEYS[2] -> the dead stream
    /// ARGV[1] -> the group; ARGV[2] -> the entry id;
    /// ARGV[3] -> the least delivery count that makes it dead; ARGV[4] -> the reason
    ///
    /// Returns: the dead stream's new id, or "" when the entry is no longer
    ///   pending with that many deliveries (nothing changed).
    static let streamDead = RedisScript("""
        local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
        if #pending == 0 or tonumber(pending[1][4]) < tonumber(ARGV[3]) then return '' end
        local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        local fields = {}
        if #entry > 0 then fields = entry[1][2] end
        local dead_id = redis.call('XADD', KEYS[2], '*', 'source_stream', KEYS[1], 'source_id', ARGV[2],
          'group', ARGV[1], 'deliveries', pending[1][4], 'consumer', pending[1][2], 'reason', ARGV[4], unpack(fields))
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        return dead_id
        """)

    /// Moves one entry of a dead stream back to a stream (`streams
    /// replay`): XADD there with the fields given, XDEL here, in one step,
    /// so the entry is in exactly one of the two. Everything is checked
    /// before the first write: that the entry is still in the dead stream
    /// (another replay may have taken it), and that the target is a stream,
    /// or absent and allowed to be created.
    ///
    /// The fields are the dead entry's own minus its bookkeeping, worked
    /// out by the caller from the entry it read; a stream entry never
    /// changes once written, so they are still the entry's if it is there.
    ///
    /// KEYS[1] -> the dead stream; KEYS[2] -> the target stream
    /// ARGV[1] -> the dead entry's id; ARGV[2] -> "1" to create a missing target, else "0";
    /// ARGV[3..] -> field, value, field, value... (at least one pair)
    ///
    /// Returns: {"moved", new id in the target} | {"gone", ""} (no longer in
    ///   the dead stream) | {"missing", ""} (no target stream, and not
    ///   allowed to create it) | {"wrongtype", TYPE} (the target holds
    ///   another type). Only "moved" changed anything.
    static let streamReplay = RedisScript("""
        if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return {'gone', ''} end
        local kind = redis.call('TYPE', KEYS[2])['ok']
        if kind == 'none' then
          if ARGV[2] ~= '1' then return {'missing', ''} end
        elseif kind ~= 'stream' then
          return {'wrongtype', kind}
        end
        local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
        redis.call('XDEL', KEYS[1], ARGV[1])
        return {'moved', id}
        """)

    /// Counts the entries of a stream after an id, up to a cap, a page of
    /// 1,000 at a time so the script never holds more than that: a group's
    /// lag when XINFO GROUPS has none (after an XDEL among the entries it
    /// has not read yet). Only the count crosses the wire. Read-only.
    ///
    /// KEYS[1] -> the stream
    /// ARGV[1] -> the id after which to count (the group's last-delivered-id);
    /// ARGV[2] -> the cap
    ///
    /// Returns: the count, at most the cap (reaching it means "at least").
    static let streamCountAfter = RedisScript("""
        local cap = tonumber(ARGV[2])
        local count = 0
        local start = '(' .. ARGV[1]
        while count < cap do
          local page = math.min(1000, cap - count)
          local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', page)
          count = count + #entries
          if #entries < page then break end
          start = '(' .. entries[#entries][1]
        end
        return count
        """)
}

extension QueueScripts {
    /// Deletes a consumer from its group after handing its pending entries
    /// to another consumer of the same group (`streams delconsumer
    /// --claim-to`), in one step, so no entry is ever dropped from the
    /// group: XDELCONSUMER alone would drop them. XCLAIM with JUSTID keeps
    /// each entry's delivery count, so handing over is not a delivery. The
    /// new owner is created by XCLAIM when it does not exist yet. Checked
    /// before the first write: the consumer exists, and is not the new owner.
    ///
    /// KEYS[1] -> the stream
    /// ARGV[1] -> the group; ARGV[2] -> the consumer to delete; ARGV[3] -> the new owner
    ///
    /// Returns: the number of entries handed over, or -1 when the consumer
    ///   is not in the group (nothing changed).
    static let streamHandOver = RedisScript("""
        local found = false
        for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
          for i = 1, #consumer, 2 do
            if consumer[i] == 'name' and consumer[i + 1] == ARGV[2] then found = true end
          end
        end
        if not found then return -1 end
        local moved = 0
        while true do
          local page = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 500, ARGV[2])
          if #page == 0 then break end
          -- unpack() expands fully only as the last argument, so the call is built whole.
          local claim = {'XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0}
          for _, entry in ipairs(page) do claim[#claim + 1] = entry[1] end
          claim[#claim + 1] = 'JUSTID'
          moved = moved + #redis.call(unpack(claim))
        end
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
        return moved
        """)
}
