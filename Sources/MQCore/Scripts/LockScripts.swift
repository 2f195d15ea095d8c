import MQRedis

extension QueueScripts {
    /// Acts on a lock only when its token still matches: renews (PEXPIRE)
    /// or releases (DEL) it.
    ///
    /// KEYS[1] -> P:lock:NAME
    /// ARGV[1] -> the token; ARGV[2] -> a TTL (ms) to renew, or "" to release
    ///
    /// Returns: 1 when the token matched, 0 otherwise.
    static let lock = RedisScript("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
        return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        """)
}
