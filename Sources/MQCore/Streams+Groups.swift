import MQRedis

/// Why a streams operation was refused, in words an operator can act on.
/// Commands map these to exit 1 (the operation ran but could not be done)
/// or 64 (`crossSlot`: the command line asks for what cannot be done).
public enum StreamsError: Error, Equatable, CustomStringConvertible {
    case noSuchStream(String)
    case noSuchGroup(stream: String, group: String)
    case groupExists(stream: String, group: String)
    case notAStream(key: String, type: String)
    case invalidStartID(String)
    /// Two keys one script must touch are in different cluster slots.
    case crossSlot(String, String)

    public var description: String {
        switch self {
        case .noSuchStream(let stream):
            return "stream '\(stream)' does not exist"
        case .noSuchGroup(let stream, let group):
            return "stream '\(stream)' has no group '\(group)'"
        case .groupExists(let stream, let group):
            return "group '\(group)' already exists on stream '\(stream)' (BUSYGROUP); nothing was changed"
        case .notAStream(let key, let type):
            return "key '\(key)' is a \(type), not a stream"
        case .invalidStartID(let text):
            return "'\(text)' is not a start id: give $ (only entries added from now on), 0 (every entry), or an entry id such as 1700000000000-0"
        case .crossSlot(let first, let second):
            return "'\(first)' and '\(second)' are in different Redis Cluster slots, and one script cannot touch both; "
                + "give both names the same hash tag (e.g. '{orders}' and '{orders}:dead') or move the entries by hand"
        }
    }
}

extension Streams {
    /// The Redis type of `key`: "none" when it does not exist.
    public func type(of key: String) throws -> String {
        try connection.send("TYPE", key).string()
    }

    /// Throws unless `key` holds a stream.
    public func requireStream(_ key: String) throws {
        let kind = try type(of: key)
        if kind == "none" { throw StreamsError.noSuchStream(key) }
        if kind != "stream" { throw StreamsError.notAStream(key: key, type: kind) }
    }

    /// Creates `group` on `stream` (XGROUP CREATE), starting after `from`:
    /// `$` for entries added from now on, `0` for every entry, or an entry
    /// id. A missing stream is created empty only with `makeStream`.
    /// Returns the group as Redis then reports it, with its lag: how many
    /// entries it will be handed first.
    @discardableResult
    public func createGroup(_ stream: String, group: String, from: String, makeStream: Bool) throws -> StreamGroup {
        guard from == "$" || from == "0" || StreamID(from) != nil
                || (!from.isEmpty && from.allSatisfy({ ("0"..."9").contains($0) })) else {
            throw StreamsError.invalidStartID(from)
        }
        let kind = try type(of: stream)
        if kind == "none" && !makeStream { throw StreamsError.noSuchStream(stream) }
        if kind != "none" && kind != "stream" { throw StreamsError.notAStream(key: stream, type: kind) }
        var command: [any RedisArgument] = ["XGROUP", "CREATE", stream, group, from]
        if makeStream { command.append("MKSTREAM") }
        do {
            _ = try connection.send(RedisCommand(command))
        } catch let error as RedisServerError where error.message.hasPrefix("BUSYGROUP") {
            throw StreamsError.groupExists(stream: stream, group: group)
        } catch let error as RedisServerError where error.message.contains("requires the key to exist") {
            // Deleted between the TYPE above and XGROUP.
            throw StreamsError.noSuchStream(stream)
        }
        guard let created = try groups(stream).first(where: { $0.name == group }) else {
            throw StreamsError.noSuchGroup(stream: stream, group: group)
        }
        return created
    }
}
