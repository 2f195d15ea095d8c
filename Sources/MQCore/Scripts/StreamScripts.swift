import MQRedis

extension QueueScripts {
    /// Moves one pending stream entry that was delivered too often to a
    /// dead stream, with the reason, and acknowledges it in the group: XADD
    /// there and XACK here in one step, so the entry is never both pending
    /// and dead, nor neither.
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
        local dead_id = redis.call('XADD', KEYS[2], '*', 'source_id', ARGV[2], 'group', ARGV[1],
          'deliveries', pending[1][4], 'consumer', pending[1][2], 'reason', ARGV[4], unpack(fields))
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        return dead_id
        """)
}
