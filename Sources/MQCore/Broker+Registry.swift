import FoundationEssentials
import Glibc
import MQFormat
import MQRedis

/// A running worker as it registers itself.
public struct WorkerInfo: Sendable {
    public var id: String
    public var lastSeen: Int64
    public var fields: [String: String]
    /// True when its heartbeats stopped (its registration expired).
    public var stale: Bool
}

extension Broker {
    /// How often a worker renews its registration, and after how long
    /// without it a worker counts as gone.
    public static let heartbeatInterval: Int64 = 2_000
    static let heartbeatTTL: Int64 = 10_000
    /// How long a worker whose heartbeats stopped is still listed (as
    /// stale), so an operator sees that it died; then it is forgotten, as
    /// Sidekiq and asynq forget dead processes.
    public static let forgetWorkersAfter: Int64 = 300_000

    /// Registers or renews a worker: `P:worker:{id}` with a TTL and its
    /// last-seen time in `P:workers`. One round trip.
    public func heartbeat(_ id: String, fields: [(String, String)]) throws {
        let now = time.nowMilliseconds()
        let key = keys.worker(id)
        _ = try connection.pipeline([
            RedisCommand(["HSET", key, "last_seen", Int(now)] + fields.flatMap { [$0.0, $0.1] as [any RedisArgument] }),
            RedisCommand("PEXPIRE", key, Int(Self.heartbeatTTL)),
            RedisCommand("ZADD", keys.workers, Int(now), id),
            // Every live worker forgets the long-gone ones, so that listing stays read-only.
            RedisCommand("ZREMRANGEBYSCORE", keys.workers, "-inf", Int(now - Self.forgetWorkersAfter)),
        ]).map { try $0.throwingError() }
    }

    public func unregister(_ id: String) throws {
        _ = try connection.pipeline([RedisCommand("DEL", keys.worker(id)), RedisCommand("ZREM", keys.workers, id)])
    }

    /// Registered workers, newest heartbeat first; those whose heartbeats
    /// stopped are marked stale, and those gone longer than
    /// `forgetWorkersAfter` left out (when no worker runs to forget them).
    /// Two round trips, reads only.
    public func workers() throws -> [WorkerInfo] {
        let now = time.nowMilliseconds()
        let items = try connection.send("ZRANGE", keys.workers, "+inf", Int(now - Self.forgetWorkersAfter),
                                        "BYSCORE", "REV", "WITHSCORES").array()
        let entries = try stride(from: 0, to: items.count - 1, by: 2).map {
            (id: try items[$0].string(), seen: Int64(Double(try items[$0 + 1].string()) ?? 0))
        }
        let hashes = try connection.pipeline(entries.map { RedisCommand("HGETALL", keys.worker($0.id)) })
        return try zip(entries, hashes).map { entry, reply in
            let fields = try Self.stringPairs(reply, key: keys.worker(entry.id))
            return WorkerInfo(id: entry.id, lastSeen: entry.seen, fields: fields,
                              stale: fields.isEmpty || now - entry.seen > Self.heartbeatTTL)
        }
    }

    /// How many workers have sent a heartbeat within `heartbeatTTL`, the
    /// ones `workers` does not mark stale. One round trip.
    public func liveWorkerCount() throws -> Int64 {
        try connection.send("ZCOUNT", keys.workers, Int(time.nowMilliseconds() - Self.heartbeatTTL), "+inf").int()
    }

    /// The event channels of `queues` that someone listens to (PUBSUB
    /// NUMSUB). One round trip; one per master on a cluster, where each
    /// node counts only its own subscribers.
    public func listenedChannels(_ queues: [QueueName]) throws -> Set<String> {
        let command = RedisCommand(["PUBSUB", "NUMSUB"] + queues.map { keys.queue($0).events })
        var listened: Set<String> = []
        for node in try connection.everyMaster() {
            let counts = try node.send(command).array()
            for index in stride(from: 0, to: counts.count - 1, by: 2) where try counts[index + 1].int() > 0 {
                listened.insert(try counts[index].string())
            }
        }
        return listened
    }

    /// Publishes lifecycle events on the queues' channels. Pub/sub keeps
    /// nothing, so events for a channel nobody listens to are not even
    /// built: the listened channels are asked first (or given by a caller
    /// that keeps them), then one pipeline of PUBLISH.
    /// An event is typed JSON, keys sorted: numbers are numbers, times
    /// RFC 3339 with milliseconds.
    public func publish(_ events: [(queue: QueueName, event: String, id: String, fields: [String: FieldValue])],
                        listened known: Set<String>? = nil) throws {
        guard !events.isEmpty else { return }
        let listened = try known ?? listenedChannels(Array(Set(events.map(\.queue))))
        guard !listened.isEmpty else { return }
        let now = FieldValue.time(time.nowMilliseconds())
        _ = try connection.pipeline(events.compactMap { item in
            let channel = keys.queue(item.queue).events
            guard listened.contains(channel) else { return nil }
            var object = item.fields
            object["event"] = .string(item.event)
            object["queue"] = .string(item.queue.rawValue)
            object["id"] = .string(item.id)
            object["time"] = now
            let record = Record(object.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { (name: $0.key, value: $0.value) })
            return RedisCommand("PUBLISH", channel, FieldValue.object(record).jsonText)
        })
    }
}

extension Broker {
    /// Listens to the queues' event channels (SUBSCRIBE) and hands each
    /// event's JSON to `body` until it returns false. The connection is
    /// given over to pub/sub: use one of its own.
    public func followEvents(_ queues: [QueueName], body: (QueueName, [UInt8]) throws -> Bool) throws {
        let channels = Dictionary(uniqueKeysWithValues: queues.map { (keys.queue($0).events, $0) })
        try connection.send(RedisCommand(["SUBSCRIBE"] + Array(channels.keys)))
        defer { connection.close() } // a subscribed connection serves nothing else
        while !Interruption.requested {
            guard let reply = try connection.receive(timeout: 0.2) else { continue }
            let parts = try reply.array()
            guard parts.count == 3, try parts[0].string() == "message", let queue = channels[try parts[1].string()] else { continue }
            if try !body(queue, try parts[2].bytes()) { return }
        }
    }
}
