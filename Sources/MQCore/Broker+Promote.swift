import MQRedis

/// What one promote pass did for a queue.
public struct PromoteResult: Equatable, Sendable {
    public var queue: QueueName
    public var fromDelayed: Int
    public var fromRetry: Int

    public init(queue: QueueName, fromDelayed: Int, fromRetry: Int) {
        self.queue = queue
        self.fromDelayed = fromDelayed
        self.fromRetry = fromRetry
    }

    public var moved: Int { fromDelayed + fromRetry }
}

extension Broker {
    /// Moves up to `batchSize` due ids from delayed and from retry to their
    /// ready tiers. Returns how many moved and whether more may be due.
    /// Two round trips: read the due ids, then move them in one script
    /// each, which re-checks every id so racing promoters move it once.
    public func promoteBatch(_ queue: QueueName) throws -> (result: PromoteResult, moreDue: Bool) {
        let queueKeys = keys.queue(queue)
        let now = time.nowMilliseconds()
        let sources = [queueKeys.delayed, queueKeys.retry]
        let due = try connection.pipeline(sources.map {
            RedisCommand("ZRANGE", $0, "-inf", Int(now), "BYSCORE", "LIMIT", 0, Self.batchSize)
        }).map { try $0.array().map { try $0.string() } }

        let calls = zip(sources, due).filter { !$0.1.isEmpty }.map { source, ids in
            (keys: (queueKeys.readyTiers + [source, queueKeys.wake] + ids.map(queueKeys.message)) as [any RedisArgument],
             arguments: ([Int(now), ""] + ids) as [any RedisArgument])
        }
        var moved = [0, 0]
        if !calls.isEmpty {
            let replies = try connection.runPipelined(QueueScripts.promote, calls)
            var reply = replies.makeIterator()
            for index in due.indices where !due[index].isEmpty {
                moved[index] = Int(try reply.next()!.int())
            }
        }
        let result = PromoteResult(queue: queue, fromDelayed: moved[0], fromRetry: moved[1])
        return (result, due.contains { $0.count == Self.batchSize })
    }

    /// Promotes until nothing is due: the mover's pass for cron.
    public func promote(_ queue: QueueName) throws -> PromoteResult {
        var total = PromoteResult(queue: queue, fromDelayed: 0, fromRetry: 0)
        while true {
            let (batch, moreDue) = try promoteBatch(queue)
            total.fromDelayed += batch.fromDelayed
            total.fromRetry += batch.fromRetry
            if !moreDue { return total }
        }
    }

    /// Moves delayed or retry messages to their ready tier now, due or
    /// not; their run_at becomes now. Returns the ids that were not there.
    public func runNow(_ queue: QueueName, ids: [String], from source: KillSource = .delayed) throws -> (moved: Int, notFound: [String]) {
        let queueKeys = keys.queue(queue)
        let now = time.nowMilliseconds()
        let ids = try ids.map(MessageID.validate)
        let calls = ids.map { id in
            (keys: (queueKeys.readyTiers + [sourceKey(queue, source), queueKeys.wake, queueKeys.message(id)]) as [any RedisArgument],
             arguments: [Int64.max, Int(now), id] as [any RedisArgument])
        }
        return try countMoves(connection.runPipelined(QueueScripts.promote, calls), ids: ids)
    }

    /// Deletes delayed messages and their envelopes. Returns the ids that
    /// were not delayed.
    public func cancelDelayed(_ queue: QueueName, ids: [String]) throws -> (moved: Int, notFound: [String]) {
        let queueKeys = keys.queue(queue)
        let ids = try ids.map(MessageID.validate)
        let calls = ids.map { id in
            (keys: [queueKeys.delayed, queueKeys.message(id)] as [any RedisArgument], arguments: [id] as [any RedisArgument])
        }
        return try countMoves(connection.runPipelined(QueueScripts.cancelDelayed, calls), ids: ids)
    }

    private func countMoves(_ replies: [RedisReply], ids: [String]) throws -> (moved: Int, notFound: [String]) {
        var moved = 0
        var notFound: [String] = []
        for (id, reply) in zip(ids, replies) {
            if try reply.int() == 1 { moved += 1 } else { notFound.append(id) }
        }
        return (moved, notFound)
    }
}
