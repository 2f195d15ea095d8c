import MQRedis

/// What one promote pass did for a queue.
public struct PromoteResult: Equatable, Sendable {
    public var queue: QueueName
    public var fromDelayed: Int
    public var fromRetry: Int
    /// Due ids whose envelope was missing or unreadable: dead-lettered.
    public var deadLettered: Int

    public init(queue: QueueName, fromDelayed: Int = 0, fromRetry: Int = 0, deadLettered: Int = 0) {
        self.queue = queue
        self.fromDelayed = fromDelayed
        self.fromRetry = fromRetry
        self.deadLettered = deadLettered
    }

    public var moved: Int { fromDelayed + fromRetry }

    static func + (lhs: PromoteResult, rhs: PromoteResult) -> PromoteResult {
        PromoteResult(queue: lhs.queue, fromDelayed: lhs.fromDelayed + rhs.fromDelayed,
                      fromRetry: lhs.fromRetry + rhs.fromRetry, deadLettered: lhs.deadLettered + rhs.deadLettered)
    }
}

/// What a move of chosen ids (run-now, cancel, kill) did.
public struct MoveResult: Equatable, Sendable {
    public var moved = 0
    /// Unreadable envelopes, sent to the dead set instead.
    public var deadLettered = 0
    public var notFound: [String] = []

    public init(moved: Int = 0, deadLettered: Int = 0, notFound: [String] = []) {
        self.moved = moved
        self.deadLettered = deadLettered
        self.notFound = notFound
    }
}

extension Broker {
    /// Moves up to `batchSize` due ids from delayed and from retry to their
    /// ready tiers. Returns how many moved and whether more may be due.
    /// Two round trips: read the due ids, then move them in one script
    /// each, which re-checks every id so racing promoters move it once.
    public func promoteBatch(_ queue: QueueName) throws -> (result: PromoteResult, moreDue: Bool) {
        let now = time.nowMilliseconds()
        let sources: [KillSource] = [.delayed, .retry]
        let due = try connection.pipeline(sources.map {
            RedisCommand("ZRANGE", sourceKey(queue, $0), "-inf", Int(now), "BYSCORE", "LIMIT", 0, Self.batchSize)
        }).map { try $0.throwingError().array().map { try $0.string() } }

        var result = PromoteResult(queue: queue)
        let calls = zip(sources, due).filter { !$0.1.isEmpty }.map { promoteCall(queue, from: $0.0, ids: $0.1, cutoff: now, runAt: nil, now: now) }
        if !calls.isEmpty {
            var replies = try connection.runPipelined(QueueScripts.promote, calls).makeIterator()
            for (source, ids) in zip(sources, due) where !ids.isEmpty {
                let codes = try replies.next()!.throwingError().array().map { try $0.int() }
                let moved = codes.filter { $0 == 1 }.count
                if source == .delayed { result.fromDelayed = moved } else { result.fromRetry = moved }
                result.deadLettered += codes.filter { $0 == 2 }.count
            }
        }
        if result.deadLettered > 0 { try trimDead(queue) }
        return (result, due.contains { $0.count == Self.batchSize })
    }

    /// Promotes until nothing is due: the mover's pass for cron. `onBatch`
    /// sees each batch as it is done, so a caller can report progress
    /// even when a later batch fails.
    public func promote(_ queue: QueueName, onBatch: (PromoteResult) throws -> Void = { _ in }) throws -> PromoteResult {
        var total = PromoteResult(queue: queue)
        while true {
            let (batch, moreDue) = try promoteBatch(queue)
            total = total + batch
            try onBatch(batch)
            if !moreDue { return total }
        }
    }

    /// Moves delayed or retry messages to their ready tier now, due or
    /// not; their run_at becomes now. One script call per 500 ids, each
    /// batch reported to `onBatch` as it is done.
    public func runNow(_ queue: QueueName, ids: [String], from source: KillSource = .delayed,
                       onBatch: (MoveResult) -> Void = { _ in }) throws -> MoveResult {
        let ids = try ids.map(MessageID.validate)
        var total = MoveResult()
        for start in stride(from: 0, to: ids.count, by: Self.batchSize) {
            let batch = Array(ids[start..<min(start + Self.batchSize, ids.count)])
            let now = time.nowMilliseconds()
            let call = promoteCall(queue, from: source, ids: batch, cutoff: .max, runAt: now, now: now)
            let codes = try connection.run(QueueScripts.promote, keys: call.keys, arguments: call.arguments).array().map { try $0.int() }
            var done = MoveResult()
            for (id, code) in zip(batch, codes) {
                switch code {
                case 1: done.moved += 1
                case 2: done.deadLettered += 1
                default: done.notFound.append(id)
                }
            }
            if done.deadLettered > 0 { try trimDead(queue) }
            total.moved += done.moved
            total.deadLettered += done.deadLettered
            total.notFound += done.notFound
            onBatch(done)
        }
        return total
    }

    /// The keys and arguments of one `QueueScripts.promote` call.
    private func promoteCall(_ queue: QueueName, from source: KillSource, ids: [String], cutoff: Int64, runAt: Int64?,
                             now: Int64) -> (keys: [any RedisArgument], arguments: [any RedisArgument]) {
        let k = keys.queue(queue)
        let scriptKeys: [any RedisArgument] = k.readyTiers + [sourceKey(queue, source), k.wake, k.dead,
                                                              k.counter(.dead), k.counter(.dead, minute: now / 60_000)]
        let arguments: [any RedisArgument] = [Int(cutoff), runAt.map { String($0) } ?? "", Int(now), Keyspace.minuteBucketTTL]
        return (scriptKeys + ids.map(k.message), arguments + ids)
    }

    /// Deletes delayed messages and their envelopes. One script call per
    /// id, pipelined.
    public func cancelDelayed(_ queue: QueueName, ids: [String]) throws -> MoveResult {
        let queueKeys = keys.queue(queue)
        let ids = try ids.map(MessageID.validate)
        let calls = ids.map { id in
            (keys: [queueKeys.delayed, queueKeys.message(id)] as [any RedisArgument], arguments: [id] as [any RedisArgument])
        }
        var result = MoveResult()
        for (id, reply) in zip(ids, try connection.runPipelined(QueueScripts.cancelDelayed, calls)) {
            if try reply.int() == 1 { result.moved += 1 } else { result.notFound.append(id) }
        }
        return result
    }
}
