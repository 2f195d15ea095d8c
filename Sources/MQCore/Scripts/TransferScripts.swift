import MQRedis

/// `dlq replay --to-queue`: dead letters move to another queue, which on a
/// cluster lives in another slot, so one script cannot do it. The move is
/// three scripts around a journal in the source (`transfers`) and a receipt
/// in the target, so that a run cut short anywhere is finished by the next
/// run without delivering a message twice, even when the target's workers
/// have already handled it:
///   1. `transferOut` (source) journals each letter with a token;
///   2. `transferIn` (target) writes it ready with a receipt for the token,
///      or finds the receipt of an earlier try;
///   3. `transferDone` (source) removes the letter and its journal entry.
extension QueueScripts {
    /// Journals dead letters for a transfer and returns their envelopes.
    /// A letter already journaled for the same target keeps its token (a
    /// resumed transfer); one journaled for another target is left alone.
    ///
    /// KEYS[1] -> P:{S}:dead; KEYS[2] -> P:{S}:transfers
    /// KEYS[2+i] -> P:{S}:msg:ID for ARGV[2+i]
    /// ARGV[1] -> the target queue; ARGV[2] -> a new token for this run
    /// ARGV[2+i] -> id i
    ///
    /// Returns: per id {1, token, HGETALL} in transit to the target, {0}
    ///   not a dead letter, {2} unreadable envelope (for either, a journal
    ///   entry for this target is dropped), {3} in transit elsewhere.
    static let transferOut = RedisScript("""
        \(checks)
        expect(KEYS[1], 'zset') expect(KEYS[2], 'hash')
        local result = {}
        for i = 3, #ARGV do
          local id, msg_key = ARGV[i], KEYS[i]
          local marker = redis.call('HGET', KEYS[2], id)
          local target, token = ARGV[1], ARGV[2]
          if marker then target, token = string.match(marker, '^(%S+) (%S+)$') end
          if target ~= ARGV[1] then
            result[i - 2] = {3}
          elseif not redis.call('ZSCORE', KEYS[1], id) or not is_hash(msg_key) then
            -- Nothing to send: drop a journal entry left by a purged or spoilt letter.
            if marker then redis.call('HDEL', KEYS[2], id) end
            result[i - 2] = {redis.call('ZSCORE', KEYS[1], id) and 2 or 0}
          else
            if not marker then redis.call('HSET', KEYS[2], id, ARGV[1] .. ' ' .. token) end
            result[i - 2] = {1, token, redis.call('HGETALL', msg_key)}
          end
        end
        return result
        """)

    /// Writes transferred letters ready in the target, each with a receipt
    /// for its token. A letter whose receipt is here already arrived in an
    /// earlier try; an id taken here by another message is refused.
    ///
    /// KEYS[1..3] -> P:{T}:ready:express, :ready:urgent, :ready:normal
    /// KEYS[4]    -> P:{T}:wake
    /// then for message i: KEYS[3+2i] -> P:{T}:msg:ID, KEYS[4+2i] -> P:{T}:receipt:S:ID
    /// ARGV[1] -> now (ms), the run_at; ARGV[2] -> receipt TTL (ms)
    /// then 9 values per message from ARGV[3+9(i-1)]: token, payload,
    ///   headers, priority, attempts, max_attempts, enqueued_at,
    ///   last_error, "1" when it has a last_error
    ///
    /// Returns: per message "w" written, "r" received before, "x" id taken.
    static let transferIn = RedisScript("""
        \(checks)
        expect_all(1, 3, 'list') expect(KEYS[4], 'list')
        local n = (#ARGV - 2) / 9
        for i = 1, n do expect(KEYS[4 + 2 * i], 'string') end
        \(tiers)
        local result, woken = {}, false
        for i = 1, n do
          local a = 2 + (i - 1) * 9
          local msg_key, receipt = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
          local id = string.sub(msg_key, string.find(msg_key, ':msg:', 1, true) + 5)
          if redis.call('GET', receipt) == ARGV[a + 1] then
            result[i] = 'r'
          elseif redis.call('EXISTS', msg_key) == 1 then
            result[i] = 'x'
          else
            redis.call('HSET', msg_key, 'payload', ARGV[a + 2], 'headers', ARGV[a + 3], 'priority', ARGV[a + 4],
              'attempts', ARGV[a + 5], 'max_attempts', ARGV[a + 6], 'enqueued_at', ARGV[a + 7], 'run_at', ARGV[1],
              'state', 'ready')
            if ARGV[a + 9] == '1' then redis.call('HSET', msg_key, 'last_error', ARGV[a + 8]) end
            redis.call('RPUSH', tiers[ARGV[a + 4]] or KEYS[3], id)
            redis.call('SET', receipt, ARGV[a + 1], 'PX', ARGV[2])
            woken = true
            result[i] = 'w'
          end
        end
        if woken then \(wake("KEYS[4]")) end
        return result
        """)

    /// Ends transfers in the source: a delivered letter is removed with its
    /// envelope; a refused one stays dead. Either way its journal entry goes.
    ///
    /// KEYS[1] -> P:{S}:dead; KEYS[2] -> P:{S}:transfers
    /// KEYS[2+i] -> P:{S}:msg:ID for id i
    /// ARGV[2i-1] -> id i; ARGV[2i] -> "1" delivered, "0" refused
    ///
    /// Returns: per id 1 removed, 0 left dead.
    static let transferDone = RedisScript("""
        \(checks)
        expect(KEYS[1], 'zset') expect(KEYS[2], 'hash')
        local result = {}
        for i = 1, #ARGV / 2 do
          local id = ARGV[2 * i - 1]
          redis.call('HDEL', KEYS[2], id)
          if ARGV[2 * i] == '1' then
            redis.call('ZREM', KEYS[1], id)
            redis.call('DEL', KEYS[2 + i])
            result[i] = 1
          else
            result[i] = 0
          end
        end
        return result
        """)
}
