import MQParsing
import MQRedis

/// `enqueue` on layouts whose messages only the framework's own encoding
/// describes (`Layout.writeProtocol`): RQ's pickled job hashes and Celery's
/// kombu envelopes, made from a JSON naming the call.
extension Broker {
    /// Adds RQ jobs as Queue.enqueue does (RPUSH of the id to
    /// `rq:queue:NAME` after the job hash), or as Queue.enqueue_at does
    /// when `runAt` is later than now (the scheduled registry, status
    /// `scheduled`, for a worker run with its scheduler).
    func rqAdd(_ payloads: [[UInt8]], to queue: LayoutQueue, tier: String?, runAt: Int64?) throws -> Int {
        let now = time.nowMilliseconds()
        let later = runAt.map { $0 > now } ?? false
        let target: (key: String, kind: String, score: String)
        if let runAt, later {
            guard let delayed = queue.delayed else { throw MQError.roleMissing(layout: queue.layout.name, role: "delayed") }
            target = (delayed.key, "zset", delayed.unit.score(milliseconds: runAt))
        } else {
            target = (try tier.map { try queue.tier($0) }?.key ?? queue.defaultTier.key, queue.layout.push.rawValue, "0")
        }
        let jobs = try payloads.enumerated().map { try RQJob($0.element, index: $0.offset, queue: queue.name, now: now, scheduled: later) }
        try register(queue)
        var added = 0
        for start in stride(from: 0, to: jobs.count, by: Self.batchSize) {
            var arguments: [any RedisArgument] = [target.kind, target.score, Keyspace.minuteBucketTTL]
            for job in jobs[start..<min(start + Self.batchSize, jobs.count)] {
                arguments += [job.id, queue.messageKey(id: job.id)!, job.fields.count]
                arguments += job.fields.flatMap { [$0.0 as any RedisArgument, $0.1] }
            }
            added += Int(try connection.run(
                LayoutScripts.enqueueHashed,
                keys: [target.key, queue.own.counter(.enqueued), queue.own.counter(.enqueued, minute: now / 60_000)],
                arguments: arguments).int())
        }
        return added
    }

    /// Celery envelopes for `payloads`, for the tier they go to (its
    /// number is kombu's priority step); an ETA later than now goes in
    /// the headers, since Celery's workers hold ETA tasks themselves.
    func celeryEnvelopes(_ payloads: [[UInt8]], for queue: LayoutQueue, tier: String?, runAt: Int64?) throws -> [[UInt8]] {
        let now = time.nowMilliseconds()
        let step = Int64(try tier.map { try queue.tier($0) }?.name ?? queue.defaultTier.name) ?? 0
        return try payloads.enumerated().map {
            try CeleryMessage.envelope($0.element, index: $0.offset, queue: queue.name, priority: step, eta: runAt.flatMap { $0 > now ? $0 : nil })
        }
    }
}
