import Foundation
import MQFormat
import MQRedis

/// Where a worker's messages come from and how their attempts are settled:
/// mqctl's queues, or a Redis stream read by a consumer group.
protocol WorkSource: Sendable {
    /// What the worker registers and logs as its queues.
    var names: [String] { get }
    func fetch(_ broker: Broker, count: Int, token: String) throws -> [Delivery]
    /// Blocks briefly until something may be there to fetch.
    func waitForWork(_ broker: Broker) throws
    func drained(_ broker: Broker) throws -> Bool
    /// Returns how many results found their lease lost.
    func settle(_ broker: Broker, _ outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)]) throws -> Int
    func extend(_ broker: Broker, _ deliveries: [Delivery]) throws
    /// The periodic movers: promotion and reaping for queues.
    func maintain(_ broker: Broker) throws
}

/// mqctl's own queues, in the order given.
struct QueueSource: WorkSource {
    let queues: [QueueName]
    let lease: Int64
    /// `work --max-attempts`, written into each envelope it fetches.
    let maxAttempts: Int64?
    let retryDelay: @Sendable () -> Int64

    var names: [String] { queues.map(\.rawValue) }

    func fetch(_ broker: Broker, count: Int, token: String) throws -> [Delivery] {
        for queue in queues {
            let deliveries = try broker.fetch(queue, count: count, lease: lease, token: token, maxAttempts: maxAttempts)
            if !deliveries.isEmpty { return deliveries }
        }
        return []
    }

    func waitForWork(_ broker: Broker) throws {
        try broker.waitForWork(queues, timeout: 0.5)
    }

    func drained(_ broker: Broker) throws -> Bool {
        // A paused queue cannot be fetched from, so it counts as drained.
        try broker.stats(queues).allSatisfy { $0.config.paused || ($0.ready == 0 && $0.overdue == 0) }
    }

    func settle(_ broker: Broker, _ outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)]) throws -> Int {
        try broker.settle(outcomes)
    }

    func extend(_ broker: Broker, _ deliveries: [Delivery]) throws {
        try broker.extendLeases(deliveries, lease: lease)
    }

    func maintain(_ broker: Broker) throws {
        for queue in queues {
            _ = try broker.promote(queue)
            _ = try broker.reap(queue, retryDelay: retryDelay())
        }
    }
}

/// A Redis stream read by a consumer group (XREADGROUP). Success is XACK;
/// a failure stays pending and comes back through XAUTOCLAIM once idle
/// longer than the lease, its delivery count being its attempt; entries
/// that used their attempts, or failed permanently, go to the dead stream
/// (XADD there and XACK here in one script). A lease is kept by XCLAIM
/// to the same consumer, which resets the idle time.
struct StreamSource: WorkSource {
    let stream: String
    let group: String
    let consumer: String
    let deadStream: String
    let lease: Int64
    let maxAttempts: Int64

    var names: [String] { [stream] }

    func fetch(_ broker: Broker, count: Int, token: String) throws -> [Delivery] {
        let connection = broker.connection
        // First what others (or we) left pending past the lease, then new entries.
        let claimed = try connection.send("XAUTOCLAIM", stream, group, consumer, Int(lease), "0-0", "COUNT", count).array()
        var entries = try claimed[1].array().filter { !$0.isNull }
        if entries.isEmpty {
            let reply = try connection.send(RedisCommand("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", stream, ">"))
            if !reply.isNull { entries = try reply.array().first.map { try $0.array()[1].array() } ?? [] }
        }
        guard !entries.isEmpty else { return [] }
        let ids = try entries.map { try $0.array()[0].string() }
        let counts = try Dictionary(uniqueKeysWithValues: connection.send(
            "XPENDING", stream, group, ids.min()!, ids.max()!, ids.count * 2, consumer).array().map { item -> (String, Int64) in
                let parts = try item.array()
                return (try parts[0].string(), try parts[3].int())
            })
        return try entries.map { entry in
            let parts = try entry.array()
            let id = try parts[0].string()
            let values = parts[1].isNull ? [] : try parts[1].array().map { try $0.bytes() }
            var fields: [String: [UInt8]] = [:]
            for index in stride(from: 0, to: values.count - 1, by: 2) {
                fields[String(decoding: values[index], as: UTF8.self)] = values[index + 1]
            }
            // The handler's stdin: the `payload` field, else every field as JSON.
            let payload = fields.removeValue(forKey: "payload")
                ?? Array(JSONText.object(fields.mapValues { String(decoding: $0, as: UTF8.self) }).utf8)
            let time = Streams.milliseconds(of: id) ?? 0
            let envelope = Envelope(
                id: id, payload: payload, headers: fields.mapValues { String(decoding: $0, as: UTF8.self) },
                attempts: counts[id] ?? 1, maxAttempts: maxAttempts, enqueuedAt: time, runAt: time, state: .inflight)
            return Delivery(queue: nil, source: stream, envelope: envelope, token: token)
        }
    }

    func waitForWork(_ broker: Broker) throws {
        // Block on the group for new entries, reading none: a zero count is
        // not allowed, so wait with XREAD on the stream's tail instead.
        _ = try broker.connection.send(RedisCommand("XREAD", "COUNT", 1, "BLOCK", 500, "STREAMS", stream, "$"), timeout: 5)
    }

    func drained(_ broker: Broker) throws -> Bool {
        let info = try Streams(connection: broker.connection).groups(stream).first { $0.name == group }
        return (info?.lag ?? 0) == 0 && (info?.pending ?? 0) == 0
    }

    func settle(_ broker: Broker, _ outcomes: [(delivery: Delivery, result: AttemptResult, retryAt: Int64?)]) throws -> Int {
        let acked = outcomes.filter { $0.result == .succeeded }.map(\.delivery.envelope.id)
        if !acked.isEmpty {
            try broker.connection.send(RedisCommand(["XACK", stream, group] + acked))
        }
        // A failure with no retry left, or a permanent one, goes to the dead
        // stream now; other failures stay pending until XAUTOCLAIM.
        let dead = outcomes.compactMap { item -> (String, String)? in
            guard case .failed(let error, _) = item.result, item.retryAt == nil else { return nil }
            return (item.delivery.envelope.id, error)
        }
        _ = try broker.connection.runPipelined(QueueScripts.streamDead, dead.map { id, error in
            (keys: [stream, deadStream] as [any RedisArgument], arguments: [group, id, 1, error] as [any RedisArgument])
        })
        return 0
    }

    func extend(_ broker: Broker, _ deliveries: [Delivery]) throws {
        guard !deliveries.isEmpty else { return }
        try broker.connection.send(RedisCommand(["XCLAIM", stream, group, consumer, 0] + deliveries.map(\.envelope.id) + ["JUSTID"]))
    }

    func maintain(_ broker: Broker) throws {}
}
