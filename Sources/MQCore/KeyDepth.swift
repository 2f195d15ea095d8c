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

/// How the keys matching a pattern expire, for keys with a TTL rather than
/// a length (heartbeats `hb:{user}:{socket}` set with SETEX, idempotency
/// keys): how many there are, how many have a TTL, and when they go.
public struct TTLSummary: Equatable, Sendable {
    /// Upper bounds (ms, exclusive) of the histogram's buckets; a last
    /// bucket takes everything from one day up.
    public static let bucketBounds: [(name: String, milliseconds: Int64)] = [
        ("lt_10s", 10_000), ("lt_1m", 60_000), ("lt_5m", 300_000), ("lt_1h", 3_600_000), ("lt_1d", 86_400_000),
    ]
    public static let lastBucket = "ge_1d"

    /// Keys that matched and still existed when their TTL was read.
    public var keys = 0
    public var withTTL = 0
    public var withoutTTL = 0
    /// Keys that SCAN returned but that were gone by the time PTTL ran
    /// (expired or deleted in between); not in `keys`.
    public var vanished = 0
    /// Keys with a TTL per bucket, in `bucketBounds` order then the last
    /// bucket (remaining time < 10 s, < 1 m, < 5 m, < 1 h, < 1 d, >= 1 d).
    public var buckets = [Int](repeating: 0, count: TTLSummary.bucketBounds.count + 1)
    /// Keys whose remaining TTL is at most the window asked for; nil
    /// when none was asked for.
    public var expiringWithin: Int?
    /// The shortest and longest remaining TTL (ms); nil without a TTL.
    public var soonestMilliseconds: Int64?
    public var latestMilliseconds: Int64?

    public init(expiringWithin window: Int64? = nil) {
        expiringWithin = window == nil ? nil : 0
    }

    /// Counts one key by its PTTL reply: -2 gone, -1 no TTL, else ms left.
    mutating func add(pttl: Int64, window: Int64?) {
        switch pttl {
        case -2:
            vanished += 1
            return
        case ..<0:
            keys += 1
            withoutTTL += 1
            return
        default:
            break
        }
        keys += 1
        withTTL += 1
        let bucket = Self.bucketBounds.firstIndex { pttl < $0.milliseconds } ?? Self.bucketBounds.count
        buckets[bucket] += 1
        if let window, pttl <= window { expiringWithin! += 1 }
        soonestMilliseconds = min(soonestMilliseconds ?? pttl, pttl)
        latestMilliseconds = max(latestMilliseconds ?? pttl, pttl)
    }
}

extension DepthInspector {
    /// Scans `pattern` (COUNT 1000) and reads every matching key's PTTL,
    /// one pipeline per SCAN page: constant round trips per 1,000 keys and
    /// nothing read but the TTL, whatever the keys hold. `window` (ms)
    /// also counts the keys that expire within it.
    ///
    /// SCAN may return a key twice; to count it once, a 64-bit hash of each
    /// key seen is kept (8 bytes a key, not the names).
    public func ttlSummary(_ pattern: String, expiringWithin window: Int64? = nil) throws -> TTLSummary {
        var summary = TTLSummary(expiringWithin: window)
        var seen = Set<Int>()
        let scanner = connection.scan(match: pattern, count: 1000)
        while let batch = try scanner.nextBatch() {
            let fresh = batch.filter { seen.insert($0.hashValue).inserted }
            guard !fresh.isEmpty else { continue }
            for reply in try connection.pipeline(fresh.map { RedisCommand("PTTL", $0) }) {
                summary.add(pttl: try reply.throwingError().int(), window: window)
            }
        }
        return summary
    }
}
