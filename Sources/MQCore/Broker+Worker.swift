import Glibc
import MQRedis

/// A message in a worker's hands: its envelope and the lease token that
/// lets this worker, and no other, settle it.
public struct Delivery: Sendable {
    /// The queue, for messages of mqctl's queues; nil for stream entries.
    public var queue: QueueName?
    /// What the handler sees as MQ_QUEUE: the queue name or the stream key.
    public var source: String
    public var envelope: Envelope
    public var token: String
    /// For members of a declared layout's lists: what the worker holds.
    public var held: HeldMember?
}

/// A layout member in a worker's processing list, and where it came from.
public struct HeldMember: Sendable {
    public var message: LayoutMessage
    public var processing: String
    public var tier: String
}

/// How one attempt ended.
public enum AttemptResult: Sendable, Equatable {
    case succeeded
    /// Retry later (at the time given), unless the attempts are used up.
    case failed(error: String, permanent: Bool)
    /// Not run to the end because the worker is stopping: give it back.
    case interrupted
}

extension Broker {
    /// Takes up to `count` ready messages from `queue`, express first, into
    /// inflight with a lease of `lease` ms, and starts their attempt. Two
    /// round trips (the ids are popped first, then their envelopes read by
    /// key). A message whose envelope is missing or unreadable goes
    /// straight to the dead letters with the reason.
    public func fetch(_ queue: QueueName, count: Int, lease: Int64, token: String, maxAttempts: Int64? = nil) throws -> [Delivery] {
        let k = keys.queue(queue)
        let now = time.nowMilliseconds()
        let ids = try connection.run(
            QueueScripts.fetch, keys: k.readyTiers + [k.inflight, k.config, k.wake], arguments: [Int(now + lease), count]
        ).array().map { try $0.string() }
        guard !ids.isEmpty else { return [] }
        let replies = try connection.run(QueueScripts.start, keys: ids.map(k.message),
                                         arguments: [token, maxAttempts.map { String($0) } ?? ""]).array()
        var deliveries: [Delivery] = []
        var broken: [(id: String, reason: String)] = []
        for (id, reply) in zip(ids, replies) {
            do {
                let fields = try Self.bytePairs(reply, key: k.message(id))
                guard !fields.isEmpty else {
                    broken.append((id, "envelope missing"))
                    continue
                }
                deliveries.append(Delivery(queue: queue, source: queue.rawValue, envelope: try Envelope(id: id, key: k.message(id), fields: fields), token: token))
            } catch {
                broken.append((id, "\(error)"))
            }
        }
        if !broken.isEmpty {
            // Without an envelope there is nothing to run; keep the id and
            // the reason where an operator will look.
            for item in broken {
                _ = try kill(queue, ids: [item.id], from: .inflight, error: "unreadable message: \(item.reason)")
            }
        }
        return deliveries
    }

    /// Blocks until one of the queues is woken (something became ready) or
    /// `timeout` seconds pass; the idle worker's wait, instead of polling.
    /// BLPOP on the wake lists (https://redis.io/commands/blpop/).
    /// On a cluster each queue's wake list lives in its own slot, and one
    /// BLPOP cannot span slots: several queues are polled every 50 ms.
    public func waitForWork(_ queues: [QueueName], timeout: Double) throws {
        let wakes = queues.map { keys.queue($0).wake }
        guard connection.isCluster, wakes.count > 1 else {
            let arguments: [any RedisArgument] = ["BLPOP"] + wakes + [String(printf: "%.3f", timeout)]
            _ = try connection.send(RedisCommand(arguments), timeout: timeout + connection.configuration.timeout)
            return
        }
        let deadline = monotonicSeconds() + timeout
        repeat {
            let popped = try connection.pipeline(wakes.map { RedisCommand("LPOP", $0) })
            if popped.contains(where: { !$0.isNull }) { return }
            usleep(50_000)
        } while monotonicSeconds() < deadline
    }

    /// Settles attempts: acks, and fails to retry or dead. Returns how
    /// many of them this worker no longer held (the lease was lost and the
    /// message reaped; it will run again: at-least-once). Per queue and
    /// token one script call each for acks, fails and releases, one after
    /// the other, plus one read of the dead-letter caps when a message
    /// dies.
    @discardableResult
    public func settle(_ outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)]) throws -> Int {
        var lost = 0
        let byQueue = Dictionary(grouping: outcomes.filter { $0.delivery.queue != nil }, by: { $0.delivery.queue! })
        for (queue, items) in byQueue {
            let k = keys.queue(queue)
            let now = time.nowMilliseconds()
            let minute = now / 60_000
            // Each call, and how many of its messages this worker no longer held.
            var commands: [(script: RedisScript, keys: [any RedisArgument], arguments: [any RedisArgument], lost: (RedisReply) throws -> Int)] = []
            let zeros = { (replies: ArraySlice<RedisReply>) throws -> Int in try replies.filter { try $0.int() == 0 }.count }
            for (token, group) in Dictionary(grouping: items, by: { $0.delivery.token }) {
                let acked = group.filter { $0.result == .succeeded }.map(\.delivery.envelope.id)
                if !acked.isEmpty {
                    commands.append((QueueScripts.ack, [k.inflight, k.counter(.processed), k.counter(.processed, minute: minute)] + acked.map(k.message),
                                     [token, Keyspace.minuteBucketTTL] + acked, { try zeros($0.array()[...]) }))
                }
                let failed = group.compactMap { item -> (id: String, retryAt: Int64?, error: String)? in
                    guard case .failed(let error, _) = item.result else { return nil }
                    return (item.delivery.envelope.id, item.retryAt, error)
                }
                if !failed.isEmpty {
                    let candidates = failed.contains { $0.retryAt == nil } ? try trimCandidates(queue, incoming: failed.count) : []
                    commands.append((QueueScripts.fail,
                                     [k.inflight, k.retry, k.dead, k.config, k.counter(.failed), k.counter(.failed, minute: minute),
                                      k.counter(.dead), k.counter(.dead, minute: minute), k.counter(.deadTrimmed)]
                                        + (failed.map(\.id) + candidates).map(k.message),
                                     [Int(now), token, Keyspace.minuteBucketTTL, failed.count]
                                        + failed.flatMap { [$0.id, $0.retryAt.map { String($0) } ?? "", $0.error] as [any RedisArgument] }
                                        + candidates, { try zeros($0.array().dropFirst()) }))
                }
                let interrupted = group.filter { $0.result == .interrupted }.map(\.delivery.envelope.id)
                if !interrupted.isEmpty {
                    commands.append((QueueScripts.release, k.readyTiers + [k.inflight, k.wake] + interrupted.map(k.message),
                                     [token] + interrupted, { _ in 0 }))
                }
            }
            for command in commands {
                lost += try command.lost(connection.run(command.script, keys: command.keys, arguments: command.arguments))
            }
        }
        return lost
    }

    /// Extends the leases of messages this worker holds. One script per
    /// queue and token.
    public func extendLeases(_ deliveries: [Delivery], lease: Int64) throws {
        let deadline = time.nowMilliseconds() + lease
        for (queue, items) in Dictionary(grouping: deliveries.filter { $0.queue != nil }, by: { $0.queue! }) {
            let k = keys.queue(queue)
            for (token, group) in Dictionary(grouping: items, by: \.token) {
                let ids = group.map(\.envelope.id)
                try connection.run(QueueScripts.extend, keys: [k.inflight] + ids.map(k.message), arguments: [Int(deadline), token] + ids)
            }
        }
    }

    /// One pass of the reaper: expired leases go back to retry (after
    /// `retryDelay` ms) or, with attempts used up or an unreadable
    /// envelope, to dead. Three round trips per 500 expired leases (the
    /// expired ids, the dead-letter caps, the script), each
    /// batch reported to `onBatch` as it is done. Returns (retried, dead).
    @discardableResult
    public func reap(_ queue: QueueName, retryDelay: Int64 = 0,
                     onBatch: ((retried: Int, dead: Int)) throws -> Void = { _ in }) throws -> (retried: Int, dead: Int) {
        let k = keys.queue(queue)
        var total = (retried: 0, dead: 0)
        while true {
            let now = time.nowMilliseconds()
            let expired = try connection.send("ZRANGE", k.inflight, "-inf", Int(now), "BYSCORE", "LIMIT", 0, Self.batchSize)
                .array().map { try $0.string() }
            guard !expired.isEmpty else { return total }
            let candidates = try trimCandidates(queue, incoming: expired.count)
            let minute = now / 60_000
            let reply = try connection.run(
                QueueScripts.reap,
                keys: [k.inflight, k.retry, k.dead, k.config, k.counter(.failed), k.counter(.failed, minute: minute),
                       k.counter(.dead), k.counter(.dead, minute: minute), k.counter(.deadTrimmed)]
                    + (expired + candidates).map(k.message),
                arguments: [Int(now), Int(now + retryDelay), Keyspace.minuteBucketTTL, expired.count] + expired + candidates
            ).array()
            let batch = (retried: Int(try reply[1].int()), dead: Int(try reply[2].int()))
            total.retried += batch.retried
            total.dead += batch.dead
            try onBatch(batch)
            if expired.count < Self.batchSize { return total }
        }
    }
}
