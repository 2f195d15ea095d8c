import FoundationEssentials
import Glibc
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
///
/// Each slot reads as a consumer of its own, `<consumer>:<slot>`, where
/// `consumer` is `--consumer` or else the worker id: a name shared by
/// slots, or by workers on one host, hides from `streams consumers` who
/// holds what, and lets a renewal move one slot's entries to another.
struct StreamSource: WorkSource {
    let stream: String
    let group: String
    /// The stem of the slots' consumer names (see `consumer(for:)`).
    let consumer: String
    let deadStream: String
    let lease: Int64
    let maxAttempts: Int64

    var names: [String] { [stream] }

    /// The consumer of the slot that fetched with `token`. The slot is
    /// the token's middle part: Worker+Slot.swift makes tokens
    /// `<worker id>:<slot>:<sequence>`. (A token of another shape gives
    /// the stem alone, one consumer for every slot, as before.)
    func consumer(for token: String) -> String {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return consumer }
        return "\(consumer):\(parts[parts.count - 2])"
    }

    func fetch(_ broker: Broker, count: Int, token: String) throws -> [Delivery] {
        let connection = broker.connection
        let consumer = consumer(for: token)
        // First what others (or we) left pending past the lease, then new entries.
        let claimed = try connection.send("XAUTOCLAIM", stream, group, consumer, Int(lease), "0-0", "COUNT", count).array()
        var entries = try claimed[1].array().filter { !$0.isNull }
        if entries.isEmpty {
            let reply = try connection.send(RedisCommand("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", stream, ">"))
            if !reply.isNull { entries = try reply.array().first.map { try $0.array()[1].array() } ?? [] }
        }
        guard !entries.isEmpty else { return [] }
        // The attempt is the delivery count, which neither reply carries.
        let ids = try entries.map { try StreamID($0.array()[0]) }
        let counts = try Streams(connection: connection).deliveries(stream, group: group, consumer: consumer, ids: ids)
        return try zip(ids, entries).compactMap { id, entry in
            // Not pending for this consumer any more, though just read or
            // claimed: since then it was acknowledged (by a worker whose
            // lease had run out, or `streams dead`) or claimed by another
            // consumer, who runs it. Running it here would only repeat it.
            guard let deliveries = counts[id] else { return nil }
            let parts = try entry.array()
            let values = parts[1].isNull ? [] : try parts[1].array().map { try $0.bytes() }
            var fields: [String: [UInt8]] = [:]
            for index in stride(from: 0, to: values.count - 1, by: 2) {
                fields[String(decoding: values[index], as: UTF8.self)] = values[index + 1]
            }
            // The handler's stdin: the `payload` field, else every field as JSON.
            let payload = fields.removeValue(forKey: "payload")
                ?? Array(JSONText.object(fields.mapValues { String(decoding: $0, as: UTF8.self) }).utf8)
            let time = Int64(exactly: id.milliseconds) ?? 0
            let envelope = Envelope(
                id: id.description, payload: payload, headers: fields.mapValues { String(decoding: $0, as: UTF8.self) },
                attempts: deliveries, maxAttempts: maxAttempts, enqueuedAt: time, runAt: time, state: .inflight)
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

    /// Renews every slot's entries for that slot's own consumer, one
    /// XCLAIM each in one round trip.
    func extend(_ broker: Broker, _ deliveries: [Delivery]) throws {
        let held = Dictionary(grouping: deliveries) { consumer(for: $0.token) }
        guard !held.isEmpty else { return }
        for reply in try broker.connection.pipeline(held.map { consumer, deliveries in
            RedisCommand(["XCLAIM", stream, group, consumer, 0] + deliveries.map(\.envelope.id) + ["JUSTID"])
        }) {
            try reply.throwingError()
        }
    }

    func maintain(_ broker: Broker) throws {}
}
