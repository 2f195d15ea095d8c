import MQRedis

/// Everything `stats` shows for one queue.
public struct QueueStats: Equatable, Sendable {
    public var queue: QueueName
    public var readyByPriority: [Priority: Int64]
    public var delayed: Int64
    public var retry: Int64
    public var inflight: Int64
    public var dead: Int64
    /// Age of the oldest ready message at a tier's head: seconds since it
    /// was first enqueued, so a replayed, imported or migrated message keeps
    /// its age. 0 when nothing is ready (`latency` is nil then).
    public var latencySeconds: Double
    /// Delayed and retry messages already due but not yet promoted: a
    /// stuck mover shows here.
    public var overdue: Int64
    /// Seconds until the next delayed or retry message is due; nil when
    /// there is none, 0 when one is overdue.
    public var nextDueSeconds: Double?
    /// Totals since the queue's counters began.
    public var enqueued: Int64
    /// Dead letters removed by the caps (dead_max, dead_max_age).
    public var deadTrimmed: Int64
    public var processed: Int64
    public var failed: Int64
    /// Counts in the last complete minute.
    public var processedPerMinute: Int64
    public var failedPerMinute: Int64
    /// Enqueues refused at max_length: in total and in the last complete minute.
    public var rejected: Int64 = 0
    public var rejectedPerMinute: Int64 = 0
    public var config: QueueConfig
    /// The layout of a declared layout's queue; nil for mqctl's own.
    public var layout: String?
    /// A layout queue's ready lists in fetch order (native queues use
    /// `readyByPriority`).
    public var tiers: [TierDepth] = []
    /// Seconds the oldest ready message has waited since it became due
    /// (its run_at): below the latency for a message that was delayed,
    /// retried or replayed. Nil when nothing is ready, or for layouts that
    /// do not keep a due time.
    public var waitingSeconds: Double?
    /// Leases past their deadline that no reaper has returned yet; nil
    /// where the layout has no leases.
    public var expiredLeases: Int64?
    /// Age of the oldest dead letter (since it failed); nil when there is
    /// none, or for layouts whose dead letters carry no time in their score.
    public var oldestDeadSeconds: Double?

    /// The latency, or nil when nothing is ready: an empty queue has no
    /// oldest message, which is not the same as one that waited 0 s.
    public var latency: Double? { ready > 0 ? latencySeconds : nil }

    public var ready: Int64 { readyByPriority.values.reduce(0, +) + tiers.reduce(0) { $0 + $1.count } }

    /// Ready plus delayed as a share of max_length, in percent; nil
    /// without a limit.
    public var usagePercent: Double? {
        config.maxLength.map { Double(ready + delayed) * 100 / Double($0) }
    }

    public enum Status: String, Sendable {
        case ok = "OK", warn = "WARN", crit = "CRIT"
    }

    /// WARN at 80 % of max_length, CRIT at 95 %.
    public var status: Status {
        guard let usage = usagePercent else { return .ok }
        return usage >= 95 ? .crit : usage >= 80 ? .warn : .ok
    }
}

public struct TierDepth: Equatable, Sendable {
    public var name: String
    public var count: Int64

    public init(name: String, count: Int64) {
        self.name = name
        self.count = count
    }
}

/// One message with the key it was read from.
public struct MessageView: Equatable, Sendable {
    public var queue: QueueName
    public var envelope: Envelope
    /// For a delayed, retry, inflight or dead message: its score (run-at,
    /// retry-at, lease deadline or failed-at, in ms).
    public var score: Int64?

    public init(queue: QueueName, envelope: Envelope, score: Int64?) {
        self.queue = queue
        self.envelope = envelope
        self.score = score
    }
}

extension Broker {
    /// Stats for `queues` (all known queues when empty); the first queue
    /// that cannot be read throws. See `statsReadings`.
    public func stats(_ queues: [QueueName] = [], allWhenEmpty: Bool = true) throws -> [QueueStats] {
        let queues = queues.isEmpty && allWhenEmpty ? try queueNames() : queues
        return try statsReadings(queues).map { try $0.get() }
    }

    /// Stats for `queues`, each with the reason it could not be read (a key
    /// of the wrong type, a corrupt setting): one broken queue spoils only
    /// its own reading. A constant number of round trips whatever the
    /// number of queues or messages: one pipeline of O(1) commands (LLEN,
    /// ZCARD, ZCOUNT, ZRANGE 0 0, LINDEX, MGET, HGETALL) for every queue,
    /// then one HMGET per non-empty tier head for the latency. Throws only
    /// when Redis cannot be asked at all.
    public func statsReadings(_ queues: [QueueName]) throws -> [Result<QueueStats, any Error>] {
        guard !queues.isEmpty else { return [] }
        let now = time.nowMilliseconds()
        let minute = now / 60_000 - 1

        var commands: [RedisCommand] = []
        commands.reserveCapacity(queues.count * 19)
        for queue in queues {
            // Each key built once: a thousand queues make 19,000 commands.
            let k = keys.queue(queue)
            let tiers = k.readyTiers
            let (delayed, retry, inflight, dead) = (k.delayed, k.retry, k.inflight, k.dead)
            for tier in tiers { commands.append(RedisCommand("LLEN", tier)) }
            for key in [delayed, retry, inflight, dead] { commands.append(RedisCommand("ZCARD", key)) }
            for key in [delayed, retry, inflight] { commands.append(RedisCommand("ZCOUNT", key, "-inf", now)) }
            for key in [delayed, retry, dead] { commands.append(RedisCommand("ZRANGE", key, 0, 0, "WITHSCORES")) }
            for tier in tiers { commands.append(RedisCommand("LINDEX", tier, 0)) }
            // One MGET: the counters share the queue's hash tag.
            commands.append(RedisCommand("MGET", k.counter(.enqueued), k.counter(.deadTrimmed), k.counter(.processed), k.counter(.failed),
                                         k.counter(.processed, minute: minute), k.counter(.failed, minute: minute),
                                         k.counter(.rejected), k.counter(.rejected, minute: minute)))
            commands.append(RedisCommand("HGETALL", k.config))
        }
        let perQueue = commands.count / queues.count
        let replies = try connection.pipeline(commands)

        var readings: [Result<QueueStats, any Error>] = []
        var heads: [(queue: Int, key: String)] = []
        for (index, queue) in queues.enumerated() {
            let part = replies[(index * perQueue)..<((index + 1) * perQueue)]
            do {
                let (stats, ids) = try readStats(queue, part, now: now)
                heads += ids.map { (index, keys.queue(queue).message($0)) }
                readings.append(.success(stats))
            } catch {
                readings.append(.failure(error))
            }
        }

        if !heads.isEmpty {
            let times = try connection.pipeline(heads.map { RedisCommand("HMGET", $0.key, "enqueued_at", "run_at") })
            for (head, reply) in zip(heads, times) {
                // An unreadable head envelope is the worker's to dead-letter;
                // stats only lose that queue's latency meanwhile.
                guard case .success(var stats) = readings[head.queue],
                      let fields = try? reply.throwingError().array().map({ try $0.optionalString().flatMap { Int64($0) } }),
                      fields.count == 2 else { continue }
                if let enqueuedAt = fields[0] ?? fields[1] {
                    stats.latencySeconds = max(stats.latencySeconds, Double(now - enqueuedAt) / 1000)
                }
                if let runAt = fields[1] {
                    stats.waitingSeconds = max(stats.waitingSeconds ?? 0, max(0, Double(now - runAt) / 1000))
                }
                readings[head.queue] = .success(stats)
            }
        }
        return readings
    }

    /// One queue's part of the stats pipeline, in the order it was sent;
    /// also the ids at the heads of its ready tiers.
    private func readStats(_ queue: QueueName, _ replies: ArraySlice<RedisReply>, now: Int64) throws -> (QueueStats, [String]) {
        let k = keys.queue(queue)
        var reply = replies.makeIterator()
        func next() throws -> RedisReply {
            do { return try reply.next()!.throwingError() } catch let error as RedisServerError where error.kind == .wrongType {
                throw explain(error) ?? error
            }
        }
        func count(_ key: @autoclosure () -> String, _ type: String) throws -> Int64 {
            do { return try reply.next()!.throwingError().int() } catch let error as RedisServerError where error.kind == .wrongType {
                throw explain(error) ?? MQError.wrongKeyType(key: key(), expected: type, actual: "value of another type")
            }
        }
        func first(_ reply: RedisReply) throws -> Int64? {
            try reply.array().last.map { try Int64(Double($0.string()) ?? 0) }
        }
        var byPriority: [Priority: Int64] = [:]
        for priority in Priority.allCases { byPriority[priority] = try count(k.ready(priority), "list") }
        let delayed = try count(k.delayed, "sorted set")
        let retry = try count(k.retry, "sorted set")
        let inflight = try count(k.inflight, "sorted set")
        let dead = try count(k.dead, "sorted set")
        let overdue = try next().int() + next().int()
        let expired = try next().int()
        let nextDue = try [first(next()), first(next())].compactMap { $0 }.min()
        let oldestDead = try first(next())
        var heads: [String] = []
        for _ in Priority.allCases {
            if let id = try next().optionalString() { heads.append(id) }
        }
        let counters = try next().array().map { try $0.optionalString().flatMap { Int64($0) } ?? 0 }
        let config = try QueueConfig(fields: Self.stringPairs(next(), key: k.config), key: k.config)
        var stats = QueueStats(
            queue: queue, readyByPriority: byPriority, delayed: delayed, retry: retry, inflight: inflight, dead: dead,
            latencySeconds: 0, overdue: overdue, nextDueSeconds: nextDue.map { max(0, Double($0 - now) / 1000) },
            enqueued: counters[0], deadTrimmed: counters[1], processed: counters[2], failed: counters[3],
            processedPerMinute: counters[4], failedPerMinute: counters[5], config: config)
        stats.rejected = counters[6]
        stats.rejectedPerMinute = counters[7]
        stats.expiredLeases = expired
        stats.oldestDeadSeconds = oldestDead.map { max(0, Double(now - $0) / 1000) }
        return (stats, heads)
    }

    /// One message in any state, with that state's score. One round trip
    /// for the envelope, one for the score.
    public func message(_ queue: QueueName, id: String) throws -> MessageView {
        let id = try MessageID.validate(id)
        let k = keys.queue(queue)
        let key = k.message(id)
        let fields = try Self.bytePairs(connection.send("HGETALL", key), key: key)
        guard !fields.isEmpty else { throw MQError.messageNotFound(queue: queue.rawValue, id: id) }
        let envelope = try Envelope(id: id, key: key, fields: fields)
        let scoreKey: String? = switch envelope.state {
        case .ready: nil
        case .delayed: k.delayed
        case .retry: k.retry
        case .inflight: k.inflight
        case .dead: k.dead
        }
        let score = try scoreKey.flatMap { try connection.send("ZSCORE", $0, id).optionalString() }.flatMap { Double($0) }
        return MessageView(queue: queue, envelope: envelope, score: score.map { Int64($0) })
    }

    /// Up to `count` ready messages in fetch order (express, urgent,
    /// normal; FIFO in each). Two round trips.
    public func peek(_ queue: QueueName, count: Int) throws -> [MessageView] {
        let k = keys.queue(queue)
        let tiers = try connection.pipeline(k.readyTiers.map { RedisCommand("LRANGE", $0, 0, count - 1) })
        let ids = try Array(tiers.flatMap { try $0.array().map { try $0.string() } }.prefix(count))
        let envelopes = try connection.pipeline(ids.map { RedisCommand("HGETALL", k.message($0)) })
        return try zip(ids, envelopes).map { id, reply in
            let key = k.message(id)
            let fields = try Self.bytePairs(reply, key: key)
            guard !fields.isEmpty else { throw MQError.corruptEnvelope(key: key, reason: "the id is ready but its envelope is missing") }
            return MessageView(queue: queue, envelope: try Envelope(id: id, key: key, fields: fields), score: nil)
        }
    }
}

extension Broker {
    /// Which key a WRONGTYPE error is about: the first key its command
    /// named that holds another type than mqctl keeps there. Nil when
    /// none can be found (the key changed since, or is not mqctl's).
    public func explain(_ error: RedisServerError) -> MQError? {
        if let refusal = MQError(scriptRefusal: error) { return refusal }
        for key in error.keys {
            guard let expected = keys.expectedType(of: key),
                  let actual = try? connection.send("TYPE", key).string(),
                  actual != "none", actual != expected else { continue }
            return .wrongKeyType(key: key, expected: Self.typeName(expected), actual: Self.typeName(actual))
        }
        return nil
    }

    /// Throws for the first of the queues' own keys that holds another type
    /// than mqctl keeps there (the envelopes are checked as they are read).
    public func checkKeyTypes(_ queues: [QueueName]) throws {
        let names = queues.flatMap { queue -> [String] in
            let k = keys.queue(queue)
            return k.readyTiers + [k.delayed, k.retry, k.inflight, k.dead, k.wake, k.config]
        }
        let types = try connection.pipeline(names.map { RedisCommand("TYPE", $0) }).map { try $0.throwingError().string() }
        for (key, actual) in zip(names, types) where actual != "none" {
            if let expected = keys.expectedType(of: key), actual != expected {
                throw MQError.wrongKeyType(key: key, expected: Self.typeName(expected), actual: Self.typeName(actual))
            }
        }
    }

    /// TYPE's names, as an operator reads them.
    static func typeName(_ type: String) -> String {
        type == "zset" ? "sorted set" : type
    }
}
