import MQRedis

/// The queue core's entry point: a connection, the keyspace and a clock.
/// Operations live in extensions by concern: enqueue, promote, inspect,
/// admin. The core never prints; it returns values for the commands to render.
public struct Broker {
    public let connection: RedisConnection
    public let keys: Keyspace
    public let time: TimeSource

    public init(connection: RedisConnection, prefix: String, time: TimeSource = SystemTime()) {
        self.connection = connection
        self.keys = Keyspace(prefix: prefix)
        self.time = time
    }

    /// How many messages one script call or one pipeline handles, so no
    /// script blocks Redis for long and no reply grows without bound.
    public static let batchSize = 500

    /// Names of known queues, sorted. O(1) round trips.
    public func queueNames() throws -> [QueueName] {
        try connection.send("SMEMBERS", keys.queues).array()
            .compactMap { try? QueueName(try $0.string()) }
            .sorted()
    }

    /// The queue's settings. One round trip.
    public func config(_ queue: QueueName) throws -> QueueConfig {
        let key = keys.queue(queue).config
        return try QueueConfig(fields: try Self.stringPairs(connection.send("HGETALL", key), key: key), key: key)
    }

    /// A flat HGETALL reply as a dictionary of strings.
    static func stringPairs(_ reply: RedisReply, key: String) throws -> [String: String] {
        try bytePairs(reply, key: key).mapValues { String(decoding: $0, as: UTF8.self) }
    }

    static func bytePairs(_ reply: RedisReply, key: String) throws -> [String: [UInt8]] {
        let items = try reply.array()
        var pairs: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            pairs[try items[index].string()] = try items[index + 1].bytes()
        }
        return pairs
    }
}
