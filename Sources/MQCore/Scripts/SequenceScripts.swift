import MQRedis

/// Scripts for the application's INCR sequence counters (`seq:*`). Each
/// touches one counter, so they run on any cluster slot.
extension QueueScripts {
    /// Sets a counter, refusing to lower it unless allowed, optionally only
    /// when it holds an expected value (compare-and-set).
    ///
    /// KEYS[1] -> the counter
    /// ARGV[1] -> the new value; ARGV[2] -> "1" allows lowering it;
    /// ARGV[3] -> the value it must hold now, or "" for any
    ///
    /// Returns: {outcome, old value or ""}: "set", "lower" (refused: it
    ///   would go down), "mismatch" (refused: --if-equals did not hold),
    ///   "invalid" (the key holds no integer)
    static let seqSet = RedisScript("""
        local old = redis.call('GET', KEYS[1])
        if old and not tonumber(old) then return {'invalid', old} end
        if ARGV[3] ~= '' and (old or '') ~= ARGV[3] then return {'mismatch', old or ''} end
        if old and ARGV[2] ~= '1' and tonumber(ARGV[1]) < tonumber(old) then return {'lower', old} end
        redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
        return {'set', old or ''}
        """)

    /// Restores a saved counter without ever moving it backwards: the
    /// result is max(current, saved).
    ///
    /// KEYS[1] -> the counter
    /// ARGV[1] -> the saved value; ARGV[2] -> TTL (ms) for a created key, or ""
    ///
    /// Returns: "created", "raised", "kept", or "invalid" (the key holds
    ///   no integer; nothing written)
    static let seqRestore = RedisScript("""
        local current = redis.call('GET', KEYS[1])
        if not current then
          if ARGV[2] ~= '' then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          else
            redis.call('SET', KEYS[1], ARGV[1])
          end
          return 'created'
        end
        if not tonumber(current) then return 'invalid' end
        if tonumber(ARGV[1]) > tonumber(current) then
          redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
          return 'raised'
        end
        return 'kept'
        """)
}
