import MQRedis

/// One counter as read: its integer value, or why it has none.
public struct CounterReading: Sendable {
    public var key: String
    public var value: Int64?
    /// Seconds left, nil without an expiry.
    public var ttl: Int64?
    /// Set when the key holds something else than an integer string.
    public var problem: String?
}

/// The application's INCR counters (`seq:{conversation}` by default):
/// mqctl reads and guards them but does not own their names.
public struct SequenceCounters {
    public let connection: RedisConnection

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    /// Every key matching `pattern`, sorted; SCAN, constant round trips
    /// per 1,000 keys. The key names are held to sort them; values are not.
    public func keys(matching pattern: String) throws -> [String] {
        var keys: [String] = []
        let scanner = connection.scan(match: pattern, count: 1000)
        while let batch = try scanner.nextBatch() {
            keys += batch.map { String(decoding: $0, as: UTF8.self) }
        }
        return Array(Set(keys)).sorted()
    }

    /// Values and TTLs of `keys`, in pages of 1,000 (one pipeline each),
    /// handed to `body` page by page.
    public func read(_ keys: [String], body: ([CounterReading]) throws -> Void) throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let page = Array(keys[start..<min(start + 1000, keys.count)])
            let replies = try connection.pipeline(page.flatMap { [RedisCommand("GET", $0), RedisCommand("TTL", $0), RedisCommand("TYPE", $0)] })
            try body(try page.enumerated().map { index, key in
                let (value, ttl, type) = (replies[3 * index], replies[3 * index + 1], replies[3 * index + 2])
                let seconds = try ttl.int()
                var reading = CounterReading(key: key, value: nil, ttl: seconds >= 0 ? seconds : nil, problem: nil)
                switch value {
                case .error:
                    reading.problem = "wrong type: \(try type.string())"
                case .null:
                    reading.problem = "missing"
                default:
                    let text = try value.string()
                    if let number = Int64(text) { reading.value = number } else { reading.problem = "not an integer" }
                }
                return reading
            })
        }
    }

    public func get(_ key: String) throws -> CounterReading {
        var result: CounterReading?
        try read([key]) { result = $0.first }
        return result!
    }

    /// INCRBY: hands out `count` numbers; returns the first and last.
    public func next(_ key: String, count: Int64) throws -> (first: Int64, last: Int64) {
        let last = try connection.send("INCRBY", key, count).int()
        return (last - count + 1, last)
    }

    public enum SetOutcome: Equatable, Sendable {
        case set(old: Int64?)
        /// Refused: the counter would go down.
        case wouldLower(current: Int64)
        /// Refused: it did not hold the expected value.
        case mismatch(current: String?)
        case invalid(current: String)
    }

    /// Sets a counter (KEEPTTL); lowering needs `allowDecrease`,
    /// `ifEquals` makes it a compare-and-set. One script call.
    public func set(_ key: String, to value: Int64, allowDecrease: Bool, ifEquals: Int64?) throws -> SetOutcome {
        let reply = try connection.run(QueueScripts.seqSet, keys: [key],
                                       arguments: [value, allowDecrease ? "1" : "0", ifEquals.map { String($0) } ?? ""]).array()
        let old = try reply[1].string()
        switch try reply[0].string() {
        case "set": return .set(old: Int64(old))
        case "lower": return .wouldLower(current: Int64(old) ?? 0)
        case "mismatch": return .mismatch(current: old.isEmpty ? nil : old)
        default: return .invalid(current: old)
        }
    }

    public enum RestoreOutcome: String, Sendable {
        case created, raised, kept, invalid
    }

    /// The most `restore` adds to a saved value: as large as any setting.
    public static let largestMargin = QueueConfigChange.largest

    /// A saved value plus the margin, or nil when the sum would pass Int64.
    public static func restoredValue(_ saved: Int64, margin: Int64) -> Int64? {
        let (sum, overflow) = saved.addingReportingOverflow(margin)
        return overflow ? nil : sum
    }

    /// Restores saved counters, never lowering one: max(current, saved +
    /// margin). The margin (0 to `largestMargin`) covers the numbers handed
    /// out after the export was taken, which a plain restore after a
    /// failover would hand out again; re-running the restore adds nothing
    /// more. One script call per counter, pipelined. A saved value whose sum
    /// with the margin passes Int64 is refused before anything is written
    /// (check lines with `restoredValue` first).
    public func restore(_ counters: [(key: String, value: Int64, ttl: Int64?)], margin: Int64 = 0) throws -> [RestoreOutcome] {
        guard (0...Self.largestMargin).contains(margin) else {
            throw MQError.invalidValue("the margin must be from 0 to \(Self.largestMargin)")
        }
        let values = try counters.map { counter in
            guard let value = Self.restoredValue(counter.value, margin: margin) else {
                throw MQError.invalidValue("'\(counter.key)': \(counter.value) plus a margin of \(margin) is past the largest counter")
            }
            return value
        }
        return try connection.runPipelined(QueueScripts.seqRestore, zip(counters, values).map { counter, value in
            (keys: [counter.key] as [any RedisArgument],
             arguments: [value, counter.ttl.map { String($0 * 1000) } ?? ""] as [any RedisArgument])
        }).map { RestoreOutcome(rawValue: try $0.string()) ?? .invalid }
    }
}
