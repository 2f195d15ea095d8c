/// Streams the keys matching a pattern with SCAN
/// (https://redis.io/commands/scan/): one batch in memory at a time, so a
/// keyspace of any size costs constant memory. Like SCAN itself, a key may
/// be returned more than once when the keyspace changes during the scan.
/// On a cluster every master is scanned in turn.
public final class RedisScanner {
    private let connection: RedisConnection
    private var targets: [RedisConnection]?
    private var target = 0
    private let match: String?
    private let count: Int
    private let type: String?
    private var cursor = "0"
    private var batch: [[UInt8]] = []
    private var index = 0
    private var started = false

    init(connection: RedisConnection, match: String?, count: Int, type: String?) {
        self.connection = connection
        self.match = match
        self.count = count
        self.type = type
    }

    /// The next key, or nil when the scan is complete.
    public func next() throws -> [UInt8]? {
        while index == batch.count {
            if try finished() { return nil }
            try fetchBatch()
        }
        defer { index += 1 }
        return batch[index]
    }

    /// The remaining keys of the current batch, fetching a new one when it
    /// is used up; nil when the scan is complete. For callers that pipeline
    /// a command per key.
    public func nextBatch() throws -> [[UInt8]]? {
        while index == batch.count {
            if try finished() { return nil }
            try fetchBatch()
        }
        defer { index = batch.count }
        return Array(batch[index...])
    }

    /// True once every target's cursor came back to 0.
    private func finished() throws -> Bool {
        guard started && cursor == "0" else { return false }
        let targets = try self.targets ?? connection.everyMaster()
        self.targets = targets
        guard target + 1 < targets.count else { return true }
        target += 1
        started = false
        return false
    }

    private func fetchBatch() throws {
        var arguments: [any RedisArgument] = ["SCAN", cursor]
        if let match { arguments += ["MATCH", match] }
        arguments += ["COUNT", count]
        if let type { arguments += ["TYPE", type] }
        let targets = try self.targets ?? connection.everyMaster()
        self.targets = targets
        let reply = try targets[target].send(RedisCommand(arguments)).array()
        guard reply.count == 2 else {
            throw RedisClientError.unexpectedReply(expected: "a SCAN cursor and keys", got: .array(reply))
        }
        started = true
        cursor = try reply[0].string()
        batch = try reply[1].array().map { try $0.bytes() }
        index = 0
    }
}

extension RedisConnection {
    /// A scanner over keys matching the glob `match`, of Redis type `type`
    /// when given; `count` is SCAN's per-call work hint.
    public func scan(match: String? = nil, count: Int = 1000, type: String? = nil) -> RedisScanner {
        RedisScanner(connection: self, match: match, count: count, type: type)
    }
}
