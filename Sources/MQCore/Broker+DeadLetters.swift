import FoundationEssentials
import Glibc
import MQRedis

/// Where a message is killed from.
public enum KillSource: Sendable {
    case inflight, retry, delayed
}

/// What became of one id in a replay.
public enum ReplayOutcome: Equatable, Sendable {
    case moved
    /// Not a dead letter (any more).
    case notFound
    /// Left where it was: its envelope is missing or unreadable, it is on
    /// its way to another queue, or (with a target queue) the id exists
    /// there already.
    case skipped
}

extension Broker {
    /// Moves messages to the dead set with `error` as their last_error,
    /// and trims the set to its caps in the same script. Returns per id
    /// whether it was in `source`, and how many old dead letters the caps
    /// removed. Two round trips per 500 ids.
    public func kill(_ queue: QueueName, ids: [String], from source: KillSource, error: String?) throws -> (killed: [Bool], trimmed: Int) {
        let k = keys.queue(queue)
        let sourceKey = sourceKey(queue, source)
        var killed: [Bool] = []
        var trimmed = 0
        var start = 0
        repeat {
            let batch = Array(ids[start..<min(start + Self.batchSize, ids.count)])
            let now = time.nowMilliseconds()
            let candidates = try trimCandidates(queue, incoming: batch.count)
            let scriptKeys: [any RedisArgument] = [sourceKey, k.dead, k.config, k.counter(.dead),
                k.counter(.dead, minute: now / 60_000), k.counter(.deadTrimmed)] + (batch + candidates).map(k.message)
            let arguments: [any RedisArgument] = [Int(now), error ?? "", batch.count, Keyspace.minuteBucketTTL] + batch + candidates
            let reply = try connection.run(QueueScripts.kill, keys: scriptKeys, arguments: arguments).array()
            trimmed += Int(try reply[0].int())
            killed += try reply.dropFirst().map { try $0.int() == 1 }
            start += Self.batchSize
        } while start < ids.count
        return (killed, trimmed)
    }

    /// Trims the dead set to its caps without adding to it, for cron and
    /// after imports. Loops until nothing more is over the caps.
    @discardableResult
    public func trimDead(_ queue: QueueName) throws -> Int {
        var total = 0
        while true {
            let trimmed = try kill(queue, ids: [], from: .inflight, error: nil).trimmed
            total += trimmed
            if trimmed < Self.batchSize { return total }
        }
    }

    /// The oldest dead letters that the caps would remove once `incoming`
    /// more arrive, oldest first, at most a batch. One round trip.
    func trimCandidates(_ queue: QueueName, incoming: Int) throws -> [String] {
        let k = keys.queue(queue)
        let replies = try connection.pipeline([
            RedisCommand("HGETALL", k.config), RedisCommand("ZCARD", k.dead),
            RedisCommand("ZRANGE", k.dead, 0, Self.batchSize - 1, "WITHSCORES"),
        ])
        let config = try QueueConfig(fields: Self.stringPairs(replies[0], key: k.config), key: k.config)
        // A cap of 0 is no cap.
        let excess = config.deadMax == 0 ? 0 : Int(try replies[1].int()) + incoming - Int(config.deadMax)
        let cutoff = config.deadMaxAge == 0 ? Int64.min : time.nowMilliseconds() - config.deadMaxAge
        let oldest = try replies[2].array()
        var candidates: [String] = []
        for index in stride(from: 0, to: oldest.count - 1, by: 2) {
            let score = Int64(Double(try oldest[index + 1].string()) ?? 0)
            guard candidates.count < excess || score < cutoff else { break }
            candidates.append(try oldest[index].string())
        }
        return candidates
    }

    /// Replays dead letters to their ready tier in this queue. One script
    /// call, so each id moves once even when runs overlap. At most
    /// `batchSize` ids a call.
    public func replay(_ queue: QueueName, ids: [String], keepAttempts: Bool) throws -> [ReplayOutcome] {
        guard !ids.isEmpty else { return [] }
        let k = keys.queue(queue)
        let reply = try connection.run(
            QueueScripts.replay, keys: k.readyTiers + [k.dead, k.wake, k.transfers] + ids.map(k.message),
            arguments: [Int(time.nowMilliseconds()), keepAttempts ? "1" : "0"] + ids)
        return try reply.array().map {
            switch try $0.int() {
            case 1: return .moved
            case 2: return .skipped
            default: return .notFound
            }
        }
    }

    /// How long a target keeps the receipt of a transfer: a replay cut
    /// short and re-run within this time finishes without doubling.
    public static let transferReceiptTTL: Int64 = 30 * 86_400_000

    /// Replays dead letters into another queue, ready, attempts reset
    /// unless `keepAttempts`. The queues live in different cluster slots,
    /// so this is three scripts around a journal here and a receipt there
    /// (`TransferScripts`): a run cut short at any point leaves each letter
    /// dead here, or journaled, or delivered, and the next run to the same
    /// target finishes what is journaled without delivering it twice. Three
    /// round trips per batch.
    public func replay(_ queue: QueueName, ids: [String], to target: QueueName, keepAttempts: Bool) throws -> [ReplayOutcome] {
        guard !ids.isEmpty else { return [] }
        let k = keys.queue(queue)
        let token = MessageID.generate(nowMilliseconds: time.nowMilliseconds())
        let out = try connection.run(QueueScripts.transferOut, keys: [k.dead, k.transfers] + ids.map(k.message),
                                     arguments: [target.rawValue, token] + ids).array()
        var outcomes = [ReplayOutcome](repeating: .skipped, count: ids.count)
        var moving: [(index: Int, token: String, envelope: Envelope)] = []
        var unreadable: [String] = []
        for (index, reply) in out.enumerated() {
            let parts = try reply.array()
            switch try parts[0].int() {
            case 0: outcomes[index] = .notFound
            case 1:
                let fields = try Self.bytePairs(parts[2], key: k.message(ids[index]))
                if var envelope = try? Envelope(id: ids[index], key: k.message(ids[index]), fields: fields) {
                    if !keepAttempts { envelope.attempts = 0 }
                    moving.append((index, try parts[1].string(), envelope))
                } else {
                    unreadable.append(ids[index])
                }
            default: break
            }
        }
        if !unreadable.isEmpty {
            // Not sent: they stay dead, out of the journal.
            _ = try connection.run(QueueScripts.transferDone, keys: [k.dead, k.transfers] + unreadable.map(k.message),
                                   arguments: unreadable.flatMap { [$0, "0"] as [any RedisArgument] })
        }
        guard !moving.isEmpty else { return outcomes }
        let t = keys.queue(target)
        var arguments: [any RedisArgument] = [Int(time.nowMilliseconds()), Int(Self.transferReceiptTTL)]
        var targetKeys: [any RedisArgument] = t.readyTiers + [t.wake]
        for item in moving {
            let e = item.envelope
            targetKeys += [t.message(e.id), t.receipt(from: queue, id: e.id)]
            arguments += [item.token, e.payload, Envelope.encodeHeaders(e.headers), e.priority.rawValue, Int(e.attempts),
                          Int(e.maxAttempts), Int(e.enqueuedAt), e.lastError ?? "", e.lastError == nil ? "0" : "1"]
        }
        try connection.send("SADD", keys.queues, target.rawValue)
        let written = try connection.run(QueueScripts.transferIn, keys: targetKeys, arguments: arguments).array().map { try $0.string() }
        let delivered = written.map { $0 != "x" }
        let done = try connection.run(
            QueueScripts.transferDone, keys: [k.dead, k.transfers] + moving.map { k.message($0.envelope.id) },
            arguments: zip(moving, delivered).flatMap { [$0.0.envelope.id, $0.1 ? "1" : "0"] as [any RedisArgument] }).array()
        for ((item, wasDelivered), _) in zip(zip(moving, delivered), done) {
            outcomes[item.index] = wasDelivered ? .moved : .skipped
        }
        // The receipts have done their job; they would expire anyway.
        _ = try? connection.pipeline(zip(moving, delivered).filter(\.1).map { RedisCommand("DEL", t.receipt(from: queue, id: $0.0.envelope.id)) })
        return outcomes
    }

    /// Deletes dead letters and their envelopes; per id whether it was dead.
    public func purgeDead(_ queue: QueueName, ids: [String]) throws -> [Bool] {
        guard !ids.isEmpty else { return [] }
        let k = keys.queue(queue)
        return try connection.run(QueueScripts.purge, keys: [k.dead] + ids.map(k.message), arguments: ids)
            .array().map { try $0.int() == 1 }
    }

    public enum ImportTarget: String, Sendable, CaseIterable {
        case dead, ready
    }

    /// Writes whole envelopes, as exported. An id that exists in the queue
    /// is refused (false in the result) and nothing of it written. Into
    /// `ready` attempts reset when `resetAttempts`. The dead-letter caps
    /// are not applied here: see `deadLettersOverCaps` and `trimDead`.
    /// One script call per 500 messages, pipelined.
    public func importMessages(_ queue: QueueName, _ envelopes: [Envelope], to target: ImportTarget, resetAttempts: Bool = true) throws -> [Bool] {
        guard !envelopes.isEmpty else { return [] }
        let k = keys.queue(queue)
        let now = time.nowMilliseconds()
        let calls = stride(from: 0, to: envelopes.count, by: Self.batchSize).map { start in
            let batch = envelopes[start..<min(start + Self.batchSize, envelopes.count)]
            var call = QueueScripts.importMessages.call(keyCount: 5 + batch.count)
            for key in k.readyTiers + [k.dead, k.wake] { call.append(key) }
            for envelope in batch { call.append(k.message(envelope.id)) }
            call.append(now)
            call.append(target.rawValue)
            for envelope in batch {
                let failedAt = envelope.failedAt ?? (target == .dead ? now : nil)
                call.append(envelope.id)
                call.append(envelope.payload)
                call.append(Envelope.encodeHeaders(envelope.headers))
                call.append(envelope.priority.rawValue)
                call.append(resetAttempts && target == .ready ? 0 : envelope.attempts)
                call.append(envelope.maxAttempts)
                call.append(envelope.enqueuedAt)
                call.append(envelope.runAt)
                call.append(failedAt.map { String($0) } ?? "")
                call.append(envelope.lastError ?? "")
                call.append(envelope.lastError == nil ? "0" : "1")
            }
            return call
        }
        try connection.send("SADD", keys.queues, queue.rawValue)
        var imported: [Bool] = []
        for reply in try connection.runPipelined(QueueScripts.importMessages, commands: calls) {
            imported += try reply.array().map { try $0.int() == 1 }
        }
        return imported
    }

    /// How many dead letters the caps would remove, at most, once
    /// `incoming` are added: those beyond dead_max, and those of
    /// `incoming` older than dead_max_age. Two round trips.
    public func deadLettersOverCaps(_ queue: QueueName, adding incoming: [Envelope]) throws -> Int {
        let config = try config(queue)
        let now = time.nowMilliseconds()
        var over = 0
        if config.deadMax > 0 {
            over += max(0, try deadLetterCount(queue) + incoming.count - Int(config.deadMax))
        }
        if config.deadMaxAge > 0 {
            over += incoming.filter { ($0.failedAt ?? now) < now - config.deadMaxAge }.count
        }
        return over
    }

    func sourceKey(_ queue: QueueName, _ source: KillSource) -> String {
        let k = keys.queue(queue)
        return switch source {
        case .inflight: k.inflight
        case .retry: k.retry
        case .delayed: k.delayed
        }
    }
}
