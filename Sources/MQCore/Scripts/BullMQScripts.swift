import MQRedis

/// BullMQ 5's state changes, made as its own scripts make them (read from
/// the `bullmq` 2.x-3.x Python port's commands/, which are BullMQ's Lua):
/// a job that becomes ready goes to `wait` (LPUSH, RPUSH for `lifo`) or,
/// with a priority, to `prioritized` scored by priority and the `pc`
/// counter; the `marker` sorted set is set so blocked workers wake (unless
/// the queue is paused or at its concurrency); every change is an entry in
/// the `events` stream, capped at `opts.maxLenEvents` of `meta`.
///
/// Job hashes are `PREFIX ID`, where PREFIX is `bull:NAME:` (Queue.toKey('')).
/// Keys a job hash implies (`:lock`, `:dependencies`, a parent's keys) are
/// built inside the scripts, as BullMQ's own scripts build them.
enum BullMQScripts {
    /// The queue keys every script takes first.
    ///
    /// KEYS[1] -> wait, KEYS[2] -> meta, KEYS[3] -> active, KEYS[4] -> marker,
    /// KEYS[5] -> prioritized, KEYS[6] -> pc, KEYS[7] -> events
    static let queueKeyCount = 7

    /// Lua: the checks of those keys, and the steps BullMQ repeats in every
    /// script (paused-or-maxed, the events cap, a push to ready).
    static let prologue = """
        \(QueueScripts.checks)
        expect(KEYS[1], 'list')
        expect(KEYS[2], 'hash')
        expect(KEYS[3], 'list')
        expect(KEYS[4], 'zset')
        expect(KEYS[5], 'zset')
        expect(KEYS[6], 'string')
        expect(KEYS[7], 'stream')
        local function paused_or_maxed()
          local attributes = redis.call('HMGET', KEYS[2], 'paused', 'concurrency')
          if attributes[1] then return true end
          if attributes[2] then return redis.call('LLEN', KEYS[3]) >= tonumber(attributes[2]) end
          return false
        end
        local function max_events()
          local n = redis.call('HGET', KEYS[2], 'opts.maxLenEvents')
          if not n then
            n = 10000
            redis.call('HSET', KEYS[2], 'opts.maxLenEvents', n)
          end
          return n
        end
        local function event(...)
          redis.call('XADD', KEYS[7], 'MAXLEN', '~', max_events(), '*', 'event', ...)
        end
        -- A job without priority goes to wait (at the front unless lifo),
        -- else to prioritized in priority order, first come first.
        local function make_ready(id, priority, lifo)
          if priority == 0 then
            redis.call(lifo and 'RPUSH' or 'LPUSH', KEYS[1], id)
          else
            local n = redis.call('INCR', KEYS[6])
            redis.call('ZADD', KEYS[5], priority * 0x100000000 + n % 0x100000000, id)
          end
        end
        local function is_lifo(job)
          local ok, opts = pcall(cjson.decode, redis.call('HGET', job, 'opts') or '{}')
          return ok and type(opts) == 'table' and opts.lifo == true
        end
        """

    /// Makes failed or delayed jobs ready: reprocessJob (Job.retry) for a
    /// failed job, which clears finishedOn, processedOn and failedReason (and
    /// the attempt counters when asked) and gives a flow's child back to its
    /// parent's dependencies; promote (Job.promote) for a delayed one, which
    /// sets delay 0 and drops a BullMQ 4 marker at the head of wait.
    ///
    /// KEYS[1..7] -> the queue keys (`queueKeyCount`)
    /// KEYS[8] -> the set the jobs are in: failed or delayed
    /// KEYS[9..] -> each job's hash, in the order of the ids
    /// ARGV[1] -> the state left: `failed` or `delayed`
    /// ARGV[2] -> `1` to reset attemptsMade and attemptsStarted
    /// ARGV[3..] -> the job ids
    /// Returns {moved, missing}: a job no longer in KEYS[8] (or without its
    /// hash, which BullMQ cannot run) is missing and stays where it is.
    static let makeReady = RedisScript("""
        \(prologue)
        expect(KEYS[8], 'zset')
        local prev = ARGV[1]
        local moved, missing = 0, 0
        for i = 3, #ARGV do
          local id, job = ARGV[i], KEYS[i + 6]
          if redis.call('EXISTS', job) == 1 and redis.call('ZREM', KEYS[8], id) == 1 then
            if prev == 'failed' then
              redis.call('HDEL', job, 'finishedOn', 'processedOn', 'failedReason')
              if ARGV[2] == '1' then redis.call('HDEL', job, 'atm', 'ats') end
              local parent = redis.call('HGET', job, 'parentKey')
              if parent and redis.call('EXISTS', parent) == 1 then
                if redis.call('ZREM', parent .. ':unsuccessful', job) == 1 or redis.call('HDEL', parent .. ':failed', job) == 1 then
                  redis.call('SADD', parent .. ':dependencies', job)
                end
              end
            else
              local head = redis.call('LINDEX', KEYS[1], 0)
              if head and string.sub(head, 1, 2) == '0:' then redis.call('LPOP', KEYS[1]) end
              redis.call('HSET', job, 'delay', 0)
            end
            make_ready(id, tonumber(redis.call('HGET', job, 'priority')) or 0, is_lifo(job))
            event('waiting', 'jobId', id, 'prev', prev)
            moved = moved + 1
          else
            missing = missing + 1
          end
        end
        if moved > 0 and not paused_or_maxed() then redis.call('ZADD', KEYS[4], 0, '0') end
        return {moved, missing}
        """)

    /// Removes failed or delayed jobs and their keys, as removeJob
    /// (Job.remove) does for a job outside a flow: the job leaves its set,
    /// its deduplication key goes when it names this job, its hash and logs
    /// are deleted, and a `removed` event is added. Jobs that are locked,
    /// part of a flow (a parent or children) or made by a job scheduler are
    /// kept: BullMQ's remove must decide for those.
    ///
    /// KEYS[1..7] -> the queue keys (`queueKeyCount`)
    /// KEYS[8] -> the set the jobs are in
    /// KEYS[9..] -> each job's hash, in the order of the ids
    /// ARGV[1] -> the state left (`failed`, `delayed`), for the event
    /// ARGV[2] -> the key prefix (`bull:NAME:`)
    /// ARGV[3..] -> the job ids
    /// Returns {removed, missing, kept}.
    static let remove = RedisScript("""
        \(prologue)
        expect(KEYS[8], 'zset')
        local removed, missing, kept = 0, 0, 0
        for i = 3, #ARGV do
          local id, job = ARGV[i], KEYS[i + 6]
          local fields = redis.call('HMGET', job, 'parentKey', 'rjk', 'deid')
          if not redis.call('ZSCORE', KEYS[8], id) then
            missing = missing + 1
          elseif redis.call('EXISTS', job .. ':lock') == 1 or (fields[1] and fields[1] ~= '') or fields[2]
              or redis.call('SCARD', job .. ':dependencies') > 0 then
            kept = kept + 1
          else
            redis.call('ZREM', KEYS[8], id)
            if fields[3] then
              local dedup = ARGV[2] .. 'de:' .. fields[3]
              if redis.call('GET', dedup) == id then redis.call('DEL', dedup, ARGV[2] .. 'dn:' .. fields[3]) end
            end
            if redis.call('DEL', job, job .. ':logs', job .. ':dependencies', job .. ':processed', job .. ':failed', job .. ':unsuccessful') > 0 then
              event('removed', 'jobId', id, 'prev', ARGV[1])
            end
            removed = removed + 1
          end
        end
        return {removed, missing, kept}
        """)

    /// Adds jobs as addStandardJob, addPrioritizedJob and addDelayedJob do
    /// (Queue.add): an id from the `id` counter unless the job names one
    /// (a name in use is a duplicate, left alone with a `duplicated`
    /// event), the hash (name, data, opts, timestamp, delay, priority), an
    /// `added` event, then wait or prioritized with a `waiting` event, or
    /// the delayed set (score: due ms × 0x1000 plus an ordinal within the
    /// ms) with a `delayed` event and the marker at the next due time.
    ///
    /// KEYS[1..7] -> the queue keys (`queueKeyCount`)
    /// KEYS[8] -> the id counter, KEYS[9] -> delayed
    /// KEYS[10] -> mqctl's enqueued total, KEYS[11] -> this minute's count
    /// ARGV[1] -> the key prefix (`bull:NAME:`), ARGV[2] -> now (ms),
    /// ARGV[3] -> the minute count's TTL
    /// ARGV[4..] -> per job, 7 values: the id or '', name, data (JSON),
    ///   opts (JSON), delay (ms), priority, `1` for lifo
    /// Returns {added, duplicates}.
    static let add = RedisScript("""
        \(prologue)
        expect(KEYS[8], 'string')
        expect(KEYS[9], 'zset')
        local now = tonumber(ARGV[2])
        local added, duplicates = 0, 0
        local ready = false
        for i = 4, #ARGV, 7 do
          local counter = redis.call('INCR', KEYS[8])
          local id = ARGV[i]
          if id == '' then id = tostring(counter) end
          local job = ARGV[1] .. id
          if ARGV[i] ~= '' and redis.call('EXISTS', job) == 1 then
            event('duplicated', 'jobId', id)
            duplicates = duplicates + 1
          else
            local name, delay, priority = ARGV[i + 1], tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
            redis.call('HSET', job, 'name', name, 'data', ARGV[i + 2], 'opts', ARGV[i + 3],
              'timestamp', now, 'delay', delay, 'priority', priority)
            redis.call('XADD', KEYS[7], '*', 'event', 'added', 'jobId', id, 'name', name)
            if delay > 0 then
              local due = now + delay
              local low, high = due * 0x1000, (due + 1) * 0x1000 - 1
              local last = redis.call('ZREVRANGEBYSCORE', KEYS[9], high, low, 'WITHSCORES', 'LIMIT', 0, 1)
              local score = low
              if last[2] then score = math.min(tonumber(last[2]) + 1, high) end
              redis.call('ZADD', KEYS[9], score, id)
              event('delayed', 'jobId', id, 'delay', due)
              local first = redis.call('ZRANGE', KEYS[9], 0, 0, 'WITHSCORES')
              if first[2] then redis.call('ZADD', KEYS[4], tonumber(first[2]) / 0x1000, '1') end
            else
              make_ready(id, priority, ARGV[i + 6] == '1')
              event('waiting', 'jobId', id)
              ready = true
            end
            added = added + 1
          end
        end
        if ready and not paused_or_maxed() then redis.call('ZADD', KEYS[4], 0, '0') end
        \(QueueScripts.count("added", total: "KEYS[10]", minute: "KEYS[11]", ttl: "ARGV[3]"))
        return {added, duplicates}
        """)
}
