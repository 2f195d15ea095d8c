import MQRedis

/// The size of one key of any type, for queues in layouts that are not
/// mqctl's.
public struct KeyDepth: Sendable {
    public var key: String
    /// Redis type: list, zset, set, stream, hash, string.
    public var type: String
    /// Elements (LLEN, ZCARD, SCARD, XLEN, HLEN); nil for other types.
    public var length: Int64?
    /// For a sorted set scored by time, members whose score is now or
    /// earlier (scores below 10^11 are taken as seconds, else milliseconds).
    public var due: Int64?
}

public struct DepthInspector {
    public let connection: RedisConnection

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    /// Scans `pattern` and hands each matching key's depth to `body`, a
    /// SCAN batch at a time: TYPE pipelined, then the length commands
    /// pipelined. Returns how many keys matched and their total length.
    @discardableResult
    public func depth(_ pattern: String, due: Bool, nowMilliseconds: Int64, body: (KeyDepth) throws -> Void) throws -> (keys: Int, total: Int64) {
        var keys = 0
        var total: Int64 = 0
        var seen = Set<[UInt8]>()
        let scanner = connection.scan(match: pattern, count: 1000)
        while let batch = try scanner.nextBatch() {
            // SCAN may return a key twice; count it once.
            let fresh = batch.filter { seen.insert($0).inserted }
            guard !fresh.isEmpty else { continue }
            let types = try connection.pipeline(fresh.map { RedisCommand("TYPE", $0) }).map { try $0.string() }
            var commands: [RedisCommand] = []
            var plan: [(index: Int, count: Int)] = []
            for (index, key) in fresh.enumerated() {
                let command: String? = switch types[index] {
                case "list": "LLEN"
                case "zset": "ZCARD"
                case "set": "SCARD"
                case "stream": "XLEN"
                case "hash": "HLEN"
                default: nil
                }
                guard let command else { continue }
                var group = [RedisCommand(command, key)]
                if due && types[index] == "zset" {
                    group += [RedisCommand("ZRANGE", key, -1, -1, "WITHSCORES"),
                              RedisCommand("ZCOUNT", key, "-inf", Int(nowMilliseconds)),
                              RedisCommand("ZCOUNT", key, "-inf", Int(nowMilliseconds / 1000))]
                }
                plan.append((index, group.count))
                commands += group
            }
            let replies = try connection.pipeline(commands)
            var results = fresh.enumerated().map { KeyDepth(key: String(decoding: $1, as: UTF8.self), type: types[$0], length: nil, due: nil) }
            var position = 0
            for step in plan {
                results[step.index].length = try replies[position].int()
                if step.count == 4 {
                    let highest = try replies[position + 1].array().last.flatMap { Double(try $0.string()) } ?? 0
                    results[step.index].due = try (highest >= 1e11 ? replies[position + 2] : replies[position + 3]).int()
                }
                position += step.count
            }
            for result in results {
                keys += 1
                total += result.length ?? 0
                try body(result)
            }
        }
        return (keys, total)
    }
}
