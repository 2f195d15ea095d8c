import MQRedis

/// One group's figures for `check --stream`.
public struct StreamGroupHealth: Sendable {
    public var group: StreamGroup
    /// The longest idle time (time since last delivery) found among the
    /// group's pending entries, in seconds; nil when none is pending. It is
    /// the oldest entry's, or a longer one found by a threshold probe, so a
    /// threshold is judged exactly: some entry is idle past it or none is.
    public var pendingIdleSeconds: Double?
}

/// A stream's figures for `check --stream`.
public struct StreamHealth: Sendable {
    public var stream: String
    public var groups: [StreamGroupHealth]
    /// Entries in the dead stream, when one was named: 0 when it does not
    /// exist (nothing has died yet).
    public var dead: Int64?
}

extension Streams {
    /// The lag, pending count and longest pending idle time of `groups` of
    /// `stream` (all its groups when empty), and the length of `deadStream`.
    /// `idleProbes` are thresholds in milliseconds: for each, one XPENDING
    /// IDLE asks for an entry idle longer, so an entry stuck behind a
    /// recently re-delivered oldest one is still seen. Throws
    /// `StreamsError` for a stream or group that does not exist, and for a
    /// dead stream that is not a stream. Three round trips, four when a lag
    /// had to be counted.
    public func health(_ stream: String, groups names: [String], idleProbes: [Int64], deadStream: String?,
                       lagCap: Int = Streams.defaultLagCap) throws -> StreamHealth {
        var keys = [stream]
        if let deadStream { keys.append(deadStream) }
        let types = try connection.pipeline(keys.map { RedisCommand("TYPE", $0) }).map { try $0.throwingError().string() }
        if types[0] == "none" { throw StreamsError.noSuchStream(stream) }
        if types[0] != "stream" { throw StreamsError.notAStream(key: stream, type: types[0]) }
        if let deadStream, types[1] != "none" && types[1] != "stream" {
            throw StreamsError.notAStream(key: deadStream, type: types[1])
        }
        let all = try groups(of: [stream], lagCap: lagCap)[0]
        let chosen: [StreamGroup]
        if names.isEmpty {
            chosen = all
        } else {
            chosen = try names.map { name in
                guard let group = all.first(where: { $0.name == name }) else {
                    throw StreamsError.noSuchGroup(stream: stream, group: name)
                }
                return group
            }
        }
        let probes = Array(Set(idleProbes.map { max($0, 0) + 1 })).sorted()
        var commands = chosen.flatMap { group in
            probes.map { RedisCommand("XPENDING", stream, group.name, "IDLE", Int($0), "-", "+", 1) }
        }
        if let deadStream, types[1] == "stream" { commands.append(RedisCommand("XLEN", deadStream)) }
        var replies = try connection.pipeline(commands).makeIterator()
        let health = try chosen.map { group -> StreamGroupHealth in
            var idle = group.oldestPendingIdleSeconds
            for _ in probes {
                if let found = try replies.next()!.throwingError().array().first?.array() {
                    idle = max(idle ?? 0, Double(try found[2].int()) / 1000)
                }
            }
            return StreamGroupHealth(group: group, pendingIdleSeconds: group.pending > 0 ? idle : nil)
        }
        var dead: Int64?
        if deadStream != nil { dead = types[1] == "stream" ? try replies.next()!.throwingError().int() : 0 }
        return StreamHealth(stream: stream, groups: health, dead: dead)
    }
}
