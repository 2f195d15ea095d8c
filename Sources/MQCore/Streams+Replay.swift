import MQRedis

/// One entry of a stream as XRANGE returns it, binary-safe.
public struct StreamEntry: Sendable {
    public var id: String
    public var fields: [StreamField]

    public init(id: String, fields: [StreamField]) {
        self.id = id
        self.fields = fields
    }

    /// The milliseconds part of the id: when the entry was added.
    public var milliseconds: Int64? { Streams.milliseconds(of: id) }

    /// The value of the first field named `name`.
    public func value(of name: String) -> [UInt8]? {
        let bytes = Array(name.utf8)
        return fields.first { $0.name == bytes }?.value
    }

    /// An XRANGE item: `[id, [field, value, ...]]`.
    init(_ reply: RedisReply) throws {
        let parts = try reply.array()
        guard parts.count == 2 else { throw RedisClientError.unexpectedReply(expected: "a stream entry", got: reply) }
        let flat = parts[1].isNull ? [] : try parts[1].array()
        self.init(id: try parts[0].string(), fields: try stride(from: 0, to: flat.count - 1, by: 2).map {
            StreamField(name: try flat[$0].bytes(), value: try flat[$0 + 1].bytes())
        })
    }
}

public struct StreamField: Sendable, Equatable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public var nameText: String { String(decoding: name, as: UTF8.self) }
}

/// The bookkeeping fields mqctl puts first in a dead stream entry
/// (`QueueScripts.streamDead`), recognised by position.
public enum DeadEntryHeader {
    /// Since `source_stream` was added: six fields, the stream's name first.
    public static let fields = ["source_stream", "source_id", "group", "deliveries", "consumer", "reason"]
    /// Entries written before that: five fields, no stream name.
    public static let olderFields = Array(fields.dropFirst())

    /// How many leading fields of `entry` are mqctl's bookkeeping: 6, 5 or 0.
    public static func length(of entry: StreamEntry) -> Int {
        func starts(with names: [String]) -> Bool {
            entry.fields.count >= names.count && zip(entry.fields, names).allSatisfy { $0.name == Array($1.utf8) }
        }
        return starts(with: fields) ? fields.count : starts(with: olderFields) ? olderFields.count : 0
    }
}

/// Which dead entries `streams replay` takes. Filters combine (all must
/// hold).
public struct DeadEntryFilter: Sendable {
    /// Only entries added to the dead stream at or before this time (ms).
    public var addedAtOrBefore: Int64?
    /// The named field (any occurrence) contains the text.
    public var fieldContains: [(name: String, text: [UInt8])]
    /// Some field's value contains the text.
    public var anyValueContains: [UInt8]?

    public init(addedAtOrBefore: Int64? = nil, fieldContains: [(name: String, text: [UInt8])] = [], anyValueContains: [UInt8]? = nil) {
        self.addedAtOrBefore = addedAtOrBefore
        self.fieldContains = fieldContains
        self.anyValueContains = anyValueContains
    }

    public func matches(_ entry: StreamEntry) -> Bool {
        if let addedAtOrBefore, let added = entry.milliseconds, added > addedAtOrBefore { return false }
        for (name, text) in fieldContains {
            let bytes = Array(name.utf8)
            guard entry.fields.contains(where: { $0.name == bytes && Self.contains($0.value, text) }) else { return false }
        }
        if let anyValueContains, !entry.fields.contains(where: { Self.contains($0.value, anyValueContains) }) { return false }
        return true
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// Where replayed entries go and what is taken off them.
public struct ReplayRules: Sendable {
    /// Field names that may hold an entry's source stream, tried in this
    /// order: mqctl's own first, then the names other systems use.
    public static let defaultSourceFields = [
        "source_stream", "original_stream", "original_topic_name", "originalTopicName", "original_topic",
        "source_topic", "topic", "stream", "source",
    ]

    /// Every entry goes here (`--to`) instead of to its named source.
    public var target: String?
    /// The fields that may name the source, in order of preference.
    public var sourceFields: [String]
    /// More bookkeeping fields to take off (first occurrence of each).
    public var stripFields: [String]
    /// Create a target stream that does not exist (else the entry stays).
    public var createTargets: Bool

    public init(target: String? = nil, sourceFields: [String] = ReplayRules.defaultSourceFields,
                stripFields: [String] = [], createTargets: Bool = false) {
        self.target = target
        self.sourceFields = sourceFields
        self.stripFields = stripFields
        self.createTargets = createTargets
    }
}

/// Why `streams replay` left an entry in the dead stream.
public enum ReplayLeftReason: String, Sendable, CaseIterable {
    /// No source field and no `--to`.
    case noSource = "no_source"
    /// Nothing left to send once the bookkeeping is off.
    case noFields = "no_fields"
    /// The source is the dead stream itself.
    case sameStream = "same_stream"
    /// The target does not exist and `--mkstream` was not given.
    case noTarget = "no_target"
    /// The target holds another type.
    case targetNotAStream = "target_not_a_stream"
    /// Cluster: the target is in another slot than the dead stream.
    case crossSlot = "cross_slot"
    /// Gone from the dead stream before its move (another run took it).
    case gone

    /// For people: what it means and what to do.
    public var explanation: String {
        switch self {
        case .noSource: return "names no source stream (give --to STREAM, or --source-field F)"
        case .noFields: return "has no fields of its own left once its bookkeeping is off"
        case .sameStream: return "names the dead stream itself as its source"
        case .noTarget: return "names a stream that does not exist (give --mkstream to create it)"
        case .targetNotAStream: return "names a key that is not a stream"
        case .crossSlot: return "names a stream in another cluster slot (give both the same hash tag)"
        case .gone: return "was no longer in the dead stream (another replay took it)"
        }
    }
}

/// What `streams replay` did, or would do, with one dead entry.
public struct ReplayResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Moved; the id it has in the target.
        case moved(newID: String)
        /// A dry run: it would move.
        case wouldMove
        case left(ReplayLeftReason)
    }

    public var entry: StreamEntry
    public var target: String?
    /// The field the target was read from; nil with `--to`.
    public var sourceField: String?
    /// The fields the target gets.
    public var fields: [StreamField]
    public var outcome: Outcome
}

/// Moves entries of a dead stream back to the streams they came from, in
/// bounded batches, each entry in one script (`QueueScripts.streamReplay`).
/// The run covers the entries in the dead stream when it starts: one that
/// dies again while the run goes on is not replayed a second time.
public final class DeadStreamReplay {
    public let streams: Streams
    public let deadStream: String
    public let rules: ReplayRules
    public let filter: DeadEntryFilter
    /// Where the run ends: the dead stream's last id when it began, or
    /// the `--older-than` cut, whichever is earlier. Nil: nothing to do.
    public private(set) var end: String?
    private var slotOf: [String: Int] = [:]
    private var typeOf: [String: String] = [:]

    public init(streams: Streams, deadStream: String, rules: ReplayRules, filter: DeadEntryFilter) {
        self.streams = streams
        self.deadStream = deadStream
        self.rules = rules
        self.filter = filter
    }

    /// Checks the dead stream, fixes where the run ends and, with `--to`,
    /// that the target can be reached by one script. Throws
    /// `StreamsError.noSuchStream` / `.notAStream` / `.crossSlot`.
    public func prepare() throws {
        try streams.requireStream(deadStream)
        if let target = rules.target {
            let kind = try targetType(target)
            if kind != "none" && kind != "stream" { throw StreamsError.notAStream(key: target, type: kind) }
            if kind == "none" && !rules.createTargets { throw StreamsError.noSuchStream(target) }
            if try !sameSlot(deadStream, target) { throw StreamsError.crossSlot(deadStream, target) }
        }
        let last = try streams.connection.send("XREVRANGE", deadStream, "+", "-", "COUNT", 1).array().first
        guard let last, let lastID = StreamID(try last.array()[0].string()) else { end = nil; return }
        if let cut = filter.addedAtOrBefore {
            guard cut >= 0 else { end = nil; return }
            let cutID = StreamID(milliseconds: UInt64(cut), sequence: UInt64.max)
            end = min(cutID, lastID).description
        } else {
            end = lastID.description
        }
    }

    /// Where `entry` would go and with which fields (no round trip but
    /// for the cluster slot of a target not seen before).
    public func plan(_ entry: StreamEntry) throws -> ReplayResult {
        let header = DeadEntryHeader.length(of: entry)
        var body = Array(entry.fields.dropFirst(header))
        var sourceField: String?
        var source: String?
        for name in rules.sourceFields {
            if let value = entry.value(of: name) {
                sourceField = name
                source = String(decoding: value, as: UTF8.self)
                break
            }
        }
        // In an entry mqctl wrote, the header is the bookkeeping and the
        // rest is the entry as it was; in another system's, the field that
        // named the source is bookkeeping too.
        if header == 0, let sourceField { Self.removeFirst(sourceField, from: &body) }
        for name in rules.stripFields { Self.removeFirst(name, from: &body) }
        var result = ReplayResult(entry: entry, target: rules.target ?? source,
                                  sourceField: rules.target == nil ? sourceField : nil, fields: body, outcome: .wouldMove)
        guard let target = result.target, !target.isEmpty else {
            result.target = nil
            result.outcome = .left(.noSource)
            return result
        }
        if target == deadStream {
            result.outcome = .left(.sameStream)
        } else if body.isEmpty {
            result.outcome = .left(.noFields)
        } else if try !sameSlot(deadStream, target) {
            result.outcome = .left(.crossSlot)
        }
        return result
    }

    /// Walks the dead stream in batches of `batchSize`, hands each batch's
    /// results to `body` (which may throw to stop, e.g. at an interruption
    /// checkpoint) and stops once `limit` entries moved. With `dryRun`
    /// nothing changes: a missing or mistyped target is looked up instead
    /// of found by the script.
    public func run(batchSize: Int, limit: Int?, dryRun: Bool, body: ([ReplayResult]) throws -> Void) throws {
        guard let end else { return }
        var start = "-"
        var moved = 0
        while limit.map({ moved < $0 }) ?? true {
            let page = try streams.connection.send("XRANGE", deadStream, start, end, "COUNT", batchSize).array().map(StreamEntry.init)
            guard let last = page.last else { return }
            start = "(" + last.id
            var results: [ReplayResult] = []
            for entry in page where filter.matches(entry) {
                if let limit, moved >= limit { break }
                var result = try plan(entry)
                if result.outcome == .wouldMove, dryRun, let target = result.target {
                    let kind = try targetType(target)
                    if kind == "none" && !rules.createTargets { result.outcome = .left(.noTarget) }
                    if kind != "none" && kind != "stream" { result.outcome = .left(.targetNotAStream) }
                }
                if result.outcome == .wouldMove { moved += 1 }
                results.append(result)
            }
            if !dryRun {
                let planned = results.filter { $0.outcome == .wouldMove }.count
                try move(&results)
                // A planned move the script refused does not count
                // against the limit.
                moved -= planned - results.filter { if case .moved = $0.outcome { return true } else { return false } }.count
            }
            try body(results)
            if page.count < batchSize { return }
        }
    }

    /// Runs the moves of `results` in one pipeline, one script each, and
    /// records what each did.
    private func move(_ results: inout [ReplayResult]) throws {
        let indices = results.indices.filter { results[$0].outcome == .wouldMove }
        guard !indices.isEmpty else { return }
        let replies = try streams.connection.runPipelined(QueueScripts.streamReplay, indices.map { index in
            let result = results[index]
            var arguments: [any RedisArgument] = [result.entry.id, rules.createTargets ? "1" : "0"]
            for field in result.fields { arguments += [field.name, field.value] as [any RedisArgument] }
            return (keys: [deadStream, result.target!] as [any RedisArgument], arguments: arguments)
        })
        for (index, reply) in zip(indices, replies) {
            let parts = try reply.throwingError().array()
            let status = try parts[0].string()
            switch status {
            case "moved": results[index].outcome = .moved(newID: try parts[1].string())
            case "gone": results[index].outcome = .left(.gone)
            case "missing": results[index].outcome = .left(.noTarget)
            case "wrongtype": results[index].outcome = .left(.targetNotAStream)
            default: throw RedisClientError.unexpectedReply(expected: "moved, gone, missing or wrongtype", got: reply)
            }
            // What the script found is what a later entry for the same
            // target will find; a dry run asks TYPE instead.
            if case .moved = results[index].outcome, let target = results[index].target { typeOf[target] = "stream" }
        }
    }

    /// The entries that would be taken, without looking at targets: for
    /// the total a run announces. Reads the dead stream once.
    public func countMatches(limit: Int?) throws -> Int {
        var count = 0
        try run(batchSize: 1000, limit: limit, dryRun: true) { results in
            count += results.filter { $0.outcome == .wouldMove }.count
        }
        return count
    }

    /// True outside a cluster, or when both keys hash to one slot.
    public func sameSlot(_ first: String, _ second: String) throws -> Bool {
        guard streams.connection.isCluster else { return true }
        return try slot(first) == slot(second)
    }

    private func slot(_ key: String) throws -> Int {
        if let known = slotOf[key] { return known }
        let slot = Int(try streams.connection.send("CLUSTER", "KEYSLOT", key).int())
        slotOf[key] = slot
        return slot
    }

    private func targetType(_ key: String) throws -> String {
        if let known = typeOf[key] { return known }
        let kind = try streams.type(of: key)
        typeOf[key] = kind
        return kind
    }

    private static func removeFirst(_ name: String, from fields: inout [StreamField]) {
        let bytes = Array(name.utf8)
        if let index = fields.firstIndex(where: { $0.name == bytes }) { fields.remove(at: index) }
    }
}
