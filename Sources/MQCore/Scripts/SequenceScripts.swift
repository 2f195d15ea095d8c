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
        \(integerText)
        local old = redis.call('GET', KEYS[1])
        if old and not integer(old) then return {'invalid', old} end
        if ARGV[3] ~= '' and (old or '') ~= ARGV[3] then return {'mismatch', old or ''} end
        if old and ARGV[2] ~= '1' and below(ARGV[1], old) then return {'lower', old} end
        redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
        return {'set', old or ''}
        """)

    /// Restores a saved counter without ever moving it backwards: the
    /// result is max(current, value), where the value is the saved one
    /// plus the restore's margin (added by the caller, in Int64).
    ///
    /// KEYS[1] -> the counter
    /// ARGV[1] -> the value to restore; ARGV[2] -> TTL (ms) for a created key, or ""
    ///
    /// Returns: "created", "raised", "kept", or "invalid" (the key holds
    ///   no integer; nothing written)
    static let seqRestore = RedisScript("""
        \(integerText)
        local current = redis.call('GET', KEYS[1])
        if not current then
          if ARGV[2] ~= '' then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          else
            redis.call('SET', KEYS[1], ARGV[1])
          end
          return 'created'
        end
        if not integer(current) then return 'invalid' end
        if below(current, ARGV[1]) then
          redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
          return 'raised'
        end
        return 'kept'
        """)

    /// Lua functions for counters as INCR keeps them: decimal integer text.
    /// `tonumber` would read them as doubles, which are exact only up to
    /// 2^53: past that two counters one apart compare equal, and the
    /// never-lower guard would let a counter go back by one. These compare
    /// the text instead, exactly over all of Int64.
    ///
    /// integer(s): s is integer text as INCR writes it (no sign but '-',
    ///   no leading zero, no spaces, at most 20 characters).
    /// below(a, b): a < b, for two integer texts.
    static let integerText = """
        local function integer(s)
          return s == '0' or (#s <= 20 and string.match(s, '^%-?[1-9]%d*$') ~= nil)
        end
        local function below(a, b)
          if a == b then return false end
          local na, nb = string.byte(a, 1) == 45, string.byte(b, 1) == 45
          if na ~= nb then return na end
          if #a ~= #b then return (#a < #b) ~= na end
          return (a < b) ~= na
        end
        """
}
