import MQRedis

/// A stream's summary for `streams list`.
public struct StreamSummary: Sendable {
    public var key: String
    public var length: Int64
    public var firstID: String?
    public var lastID: String?
    public var groups: Int64
    /// Entries ever added (Redis 7's entries-added; nil before 7.0): the
    /// counter `streams list --watch` turns into a rate.
    public var entriesAdded: Int64?
    /// The groups' states, when asked for (`list(matching:withGroups:)`).
    public var groupStates: [StreamGroup]?
}

/// Where a group's lag figure comes from.
public enum LagSource: String, Sendable {
    /// XINFO GROUPS reported it.
    case redis
    /// Redis reported none (an entry the group has not read was deleted,
    /// or Redis before 7.0); mqctl counted the entries after the group's
    /// last-delivered-id, all of them.
    case counted
    /// As `counted`, but the count stopped at its cap: the lag is at least
    /// this.
    case countedCapped = "counted_capped"
}

/// A consumer group's state, as XINFO GROUPS and XPENDING report it.
public struct StreamGroup: Sendable {
    public var name: String
    public var consumers: Int64
    public var pending: Int64
    /// Entries not yet delivered to the group: XINFO's lag, or, when Redis
    /// reports none, the entries after the last-delivered-id counted by
    /// mqctl (see `lagSource`).
    public var lag: Int64?
    /// Where `lag` comes from; nil when there is no figure.
    public var lagSource: LagSource?
    public var lastDeliveredID: String
    /// Entries delivered to the group, ever (Redis 7's entries-read; nil
    /// before 7.0 and when Redis lost count).
    public var entriesRead: Int64?
    public var oldestPendingIdleSeconds: Double?

    /// True when the lag is mqctl's figure rather than Redis's.
    public var lagEstimated: Bool { lagSource.map { $0 != .redis } ?? false }
}

public struct StreamConsumer: Sendable {
    public var name: String
    public var pending: Int64
    public var idleSeconds: Double
}

public struct PendingEntry: Sendable {
    public var id: String
    public var consumer: String
    public var idleSeconds: Double
    public var deliveries: Int64
}

/// A stream entry id, `<milliseconds>-<sequence>`, two unsigned 64-bit
/// numbers. Redis orders ids by milliseconds, then sequence, as numbers;
/// as text `5-10` sorts before `5-9` and `999-0` after `1000-0`, so an id
/// range (XPENDING's, XRANGE's) is built from StreamIDs, never from text.
public struct StreamID: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// A complete id as Redis writes it: digits, a dash, digits. Nil for
    /// anything else, among them the shorthands Redis accepts in ranges
    /// (`5`, `-`, `+`), which stand for different ids at either end.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        // Digits only: UInt64("+5") would parse.
        guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
              let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1]) else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// An entry id in a reply; throws when the reply is not one.
    public init(_ reply: RedisReply) throws {
        guard let id = StreamID(try reply.string()) else {
            throw RedisClientError.unexpectedReply(expected: "a stream entry id", got: reply)
        }
        self = id
    }

    public static func < (left: StreamID, right: StreamID) -> Bool {
        (left.milliseconds, left.sequence) < (right.milliseconds, right.sequence)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }
}

/// Reads and repairs Redis Streams consumer groups.
public struct Streams {
    public let connection: RedisConnection

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    /// Streams whose keys match `pattern`, sorted: SCAN TYPE stream, then
    /// XINFO STREAM pipelined. With `withGroups`, each one's groups too
    /// (`groups(_:)` for every stream, pipelined: three more round trips
    /// at most, whatever the number of streams).
    public func list(matching pattern: String, withGroups: Bool = false) throws -> [StreamSummary] {
        var keys: [String] = []
        let scanner = connection.scan(match: pattern, count: 1000, type: "stream")
        while let batch = try scanner.nextBatch() { keys += batch.map { String(decoding: $0, as: UTF8.self) } }
        keys = Array(Set(keys)).sorted()
        let replies = try connection.pipeline(keys.map { RedisCommand("XINFO", "STREAM", $0) })
        var summaries = try zip(keys, replies).map { key, reply in
            let info = try Self.fields(reply)
            return StreamSummary(
                key: key, length: try info["length"]?.int() ?? 0,
                firstID: try Self.entryID(info["first-entry"]), lastID: try Self.entryID(info["last-entry"]),
                groups: try info["groups"]?.int() ?? 0, entriesAdded: try Self.optionalInt(info["entries-added"]))
        }
        if withGroups {
            for (index, groups) in try groups(of: keys).enumerated() { summaries[index].groupStates = groups }
        }
        return summaries
    }

    /// Names of streams starting with `prefix`, for completion: at most
    /// `limit` names and `calls` SCAN calls, so a large keyspace costs a
    /// bounded wait and no XINFO at all.
    public func names(startingWith prefix: String, limit: Int = 200, calls: Int = 20) throws -> [String] {
        let glob = prefix.map { "*?[]\\".contains($0) ? "\\\($0)" : String($0) }.joined() + "*"
        let scanner = connection.scan(match: glob, count: 1000, type: "stream")
        var names = Set<String>()
        var made = 0
        while made < calls, names.count < limit, let batch = try scanner.nextBatch() {
            made += 1
            for key in batch { names.insert(String(decoding: key, as: UTF8.self)) }
        }
        return Array(names).sorted().prefix(limit).map { $0 }
    }

    /// The names of the consumer groups of `stream`; none when it is no stream.
    public func groupNames(_ stream: String) throws -> [String] {
        guard try connection.send("TYPE", stream).string() == "stream" else { return [] }
        return try connection.send("XINFO", "GROUPS", stream).array().map { try Self.fields($0)["name"]?.string() ?? "" }
    }

    /// The groups of `stream`, with the idle time of each one's oldest
    /// pending entry and a lag for every group (counted by mqctl when Redis
    /// reports none). Two round trips, three when a lag had to be counted.
    public func groups(_ stream: String) throws -> [StreamGroup] {
        try groups(of: [stream])[0]
    }

    /// `groups(_:)` for several streams in the same number of round trips.
    public func groups(of streams: [String], lagCap: Int = Streams.defaultLagCap) throws -> [[StreamGroup]] {
        guard !streams.isEmpty else { return [] }
        let infos = try connection.pipeline(streams.map { RedisCommand("XINFO", "GROUPS", $0) })
            .map { try $0.throwingError().array().map(Self.fields) }
        let pairs = try zip(streams, infos).flatMap { stream, groups in
            try groups.map { (stream: stream, name: try $0["name"]?.string() ?? "") }
        }
        var oldest = try connection.pipeline(pairs.map { RedisCommand("XPENDING", $0.stream, $0.name, "-", "+", 1) })
            .makeIterator()
        var result = try zip(streams, infos).map { stream, groups in
            try groups.map { info -> StreamGroup in
                let first = try oldest.next()!.throwingError().array().first?.array()
                let lag = try Self.optionalInt(info["lag"])
                return StreamGroup(
                    name: try info["name"]?.string() ?? "", consumers: try info["consumers"]?.int() ?? 0,
                    pending: try info["pending"]?.int() ?? 0, lag: lag, lagSource: lag == nil ? nil : .redis,
                    lastDeliveredID: try info["last-delivered-id"]?.string() ?? "",
                    entriesRead: try Self.optionalInt(info["entries-read"]),
                    oldestPendingIdleSeconds: try first.map { Double(try $0[2].int()) / 1000 })
            }
        }
        try fillMissingLags(streams, &result, cap: lagCap)
        return result
    }

    public func consumers(_ stream: String, group: String) throws -> [StreamConsumer] {
        try connection.send("XINFO", "CONSUMERS", stream, group).array().map(Self.fields).map { info in
            StreamConsumer(name: try info["name"]?.string() ?? "", pending: try info["pending"]?.int() ?? 0,
                           idleSeconds: Double(try info["idle"]?.int() ?? 0) / 1000)
        }
    }

    /// Pending entries, oldest first, with their delivery counts (XPENDING).
    public func pending(_ stream: String, group: String, minIdle: Int64? = nil, consumer: String? = nil, limit: Int = 100) throws -> [PendingEntry] {
        var arguments: [any RedisArgument] = ["XPENDING", stream, group]
        if let minIdle { arguments += ["IDLE", Int(minIdle)] }
        arguments += ["-", "+", limit]
        if let consumer { arguments.append(consumer) }
        return try connection.send(RedisCommand(arguments)).array().map { item in
            let parts = try item.array()
            return PendingEntry(id: try parts[0].string(), consumer: try parts[1].string(),
                                idleSeconds: Double(try parts[2].int()) / 1000, deliveries: try parts[3].int())
        }
    }

    /// The delivery counts of `ids` that are pending for `consumer`, from
    /// XPENDING over the range from the least id to the greatest, for that
    /// consumer only. The consumer's other pending entries may lie in the
    /// range too, so it is read a page at a time until every id is found
    /// or the range ends. An id left out is not pending for the consumer:
    /// it was acknowledged, or claimed by another consumer.
    public func deliveries(_ stream: String, group: String, consumer: String, ids: [StreamID]) throws -> [StreamID: Int64] {
        guard let least = ids.min(), let greatest = ids.max() else { return [:] }
        let wanted = Set(ids)
        let pageSize = max(wanted.count, 100)
        var counts: [StreamID: Int64] = [:]
        var start = least.description
        while true {
            let page = try connection.send("XPENDING", stream, group, start, greatest.description, pageSize, consumer).array().map { try $0.array() }
            for item in page {
                let id = try StreamID(item[0])
                if wanted.contains(id) { counts[id] = try item[3].int() }
            }
            guard page.count == pageSize, counts.count < wanted.count, let last = page.last else { return counts }
            start = "(" + (try last[0].string())
        }
    }

    /// Claims entries idle at least `minIdle` ms for `consumer` with an
    /// XAUTOCLAIM loop, 100 per call. Returns the ids claimed.
    public func claim(_ stream: String, group: String, to consumer: String, minIdle: Int64) throws -> [String] {
        var claimed: [String] = []
        var cursor = "0-0"
        repeat {
            let reply = try connection.send("XAUTOCLAIM", stream, group, consumer, Int(minIdle), cursor, "COUNT", 100, "JUSTID").array()
            cursor = try reply[0].string()
            claimed += try reply[1].array().map { try $0.string() }
        } while cursor != "0-0"
        return claimed
    }

    /// Moves pending entries delivered at least `maxDeliveries` times to
    /// `deadStream`, one script per entry (XADD there, XACK here). With
    /// `dryRun`, only lists them. Returns the ids moved (or to move).
    public func killOverdelivered(_ stream: String, group: String, maxDeliveries: Int64, deadStream: String, dryRun: Bool) throws -> [String] {
        var moved: [String] = []
        var start = "-"
        while true {
            let page = try connection.send("XPENDING", stream, group, start, "+", 500).array().map { try $0.array() }
            let over = try page.filter { try $0[3].int() >= maxDeliveries }.map { try $0[0].string() }
            if dryRun {
                moved += over
            } else {
                let replies = try connection.runPipelined(QueueScripts.streamDead, over.map { id in
                    (keys: [stream, deadStream] as [any RedisArgument],
                     arguments: [group, id, Int(maxDeliveries), "delivered \(maxDeliveries) or more times"] as [any RedisArgument])
                })
                moved += try zip(over, replies).filter { try !$0.1.string().isEmpty }.map(\.0)
            }
            guard page.count == 500, let last = try page.last?[0].string() else { return moved }
            start = "(" + last
        }
    }

    /// Deletes a consumer after handing its pending entries to `newOwner`,
    /// in one script; returns how many were handed over.
    public func deleteConsumer(_ stream: String, group: String, consumer: String, handingOverTo newOwner: String) throws -> Int64 {
        guard newOwner != consumer else { throw MQError.invalidValue("--claim-to must name another consumer than '\(consumer)'") }
        // The group must exist: XINFO CONSUMERS in the script would say so as a raw error.
        _ = try consumers(stream, group: group)
        let moved = try connection.run(QueueScripts.streamHandOver, keys: [stream], arguments: [group, consumer, newOwner]).int()
        if moved < 0 { throw MQError.consumerNotFound(stream: stream, group: group, consumer: consumer) }
        return moved
    }

    /// Deletes a consumer; one that still has pending entries is refused
    /// unless `force`, and then XGROUP DELCONSUMER drops those entries from
    /// the group: no consumer will be handed them again, and XPENDING no
    /// longer lists them (they stay in the stream).
    public func deleteConsumer(_ stream: String, group: String, consumer: String, force: Bool) throws -> Int64 {
        guard let info = try consumers(stream, group: group).first(where: { $0.name == consumer }) else {
            throw MQError.consumerNotFound(stream: stream, group: group, consumer: consumer)
        }
        if info.pending > 0 && !force {
            throw MQError.consumerBusy(consumer: consumer, pending: info.pending)
        }
        return try connection.send("XGROUP", "DELCONSUMER", stream, group, consumer).int()
    }

    /// A flat XINFO reply as a dictionary.
    static func fields(_ reply: RedisReply) throws -> [String: RedisReply] {
        let items = try reply.array()
        var fields: [String: RedisReply] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            fields[try items[index].string()] = items[index + 1]
        }
        return fields
    }

    /// An integer field that may be absent or null (`lag`, `entries-read`).
    static func optionalInt(_ reply: RedisReply?) throws -> Int64? {
        guard let reply, !reply.isNull else { return nil }
        return try reply.int()
    }

    static func entryID(_ reply: RedisReply?) throws -> String? {
        guard let reply, !reply.isNull else { return nil }
        return try reply.array().first?.string()
    }

    /// The milliseconds part of a stream id.
    public static func milliseconds(of id: String) -> Int64? {
        StreamID(id).flatMap { Int64(exactly: $0.milliseconds) }
    }
}
