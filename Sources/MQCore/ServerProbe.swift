import MQRedis

/// What the server says about itself (INFO server and replication).
public struct ServerInfo: Equatable, Sendable {
    public var version: String
    /// `standalone`, `cluster` or `sentinel`.
    public var mode: String
    /// `master` or `slave` (Redis's own words), `sentinel` for a sentinel.
    public var role: String
    public var connectedReplicas: Int
}

/// Round-trip times of a series of PINGs, in seconds.
public struct LatencySummary: Equatable, Sendable {
    public var count: Int
    public var minimum: Double
    public var average: Double
    public var maximum: Double
}

/// Reads server facts and measures latency; the read side of `ping`.
public enum ServerProbe {
    /// INFO server and INFO replication in one round trip
    /// (https://redis.io/commands/info/).
    public static func info(_ connection: RedisConnection) throws -> ServerInfo {
        let replies = try connection.pipeline([RedisCommand("INFO", "server"), RedisCommand("INFO", "replication")])
        var fields: [String: String] = [:]
        for reply in replies {
            for line in try reply.throwingError().string().split(whereSeparator: \.isNewline) {
                guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
        }
        guard let version = fields["redis_version"] else {
            throw RedisClientError.unexpectedReply(expected: "INFO with redis_version", got: replies[0])
        }
        let mode = fields["redis_mode"] ?? "standalone"
        return ServerInfo(
            version: version,
            mode: mode,
            role: fields["role"] ?? (mode == "sentinel" ? "sentinel" : "unknown"),
            connectedReplicas: fields["connected_slaves"].flatMap { Int($0) } ?? 0)
    }

    /// Sends `count` PINGs one after another, timing each round trip.
    public static func latency(_ connection: RedisConnection, count: Int) throws -> LatencySummary {
        precondition(count > 0, "count must be positive")
        var samples: [Double] = []
        for _ in 0..<count {
            let start = monotonicSeconds()
            try connection.send("PING")
            samples.append(monotonicSeconds() - start)
        }
        return LatencySummary(
            count: count,
            minimum: samples.min()!,
            average: samples.reduce(0, +) / Double(count),
            maximum: samples.max()!)
    }
}
