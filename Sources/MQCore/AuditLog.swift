import Foundation
import MQRedis

/// One admin action, as written to the capped stream `P:audit`.
public struct AuditEntry: Sendable {
    public var command: String
    public var queue: String?
    /// What the action counted: moved, deleted, enqueued...
    public var counts: [(String, Int)]
    /// How the messages were chosen (ids, --all, filters).
    public var detail: String?

    public init(command: String, queue: String? = nil, counts: [(String, Int)] = [], detail: String? = nil) {
        self.command = command
        self.queue = queue
        self.counts = counts
        self.detail = detail
    }
}

extension Broker {
    /// Entries kept in `P:audit` (approximately: MAXLEN ~).
    public static let auditLength = 10_000

    /// Appends an entry with the time and `user@host`. One round trip
    /// (XADD, https://redis.io/commands/xadd/).
    public func audit(_ entry: AuditEntry) throws {
        var fields: [any RedisArgument] = [
            "time", Int(time.nowMilliseconds()), "command", entry.command, "by", Self.actor,
        ]
        if let queue = entry.queue { fields += ["queue", queue] }
        for (name, count) in entry.counts { fields += [name, count] }
        if let detail = entry.detail, !detail.isEmpty { fields += ["selection", detail] }
        try connection.send(RedisCommand(["XADD", keys.audit, "MAXLEN", "~", Self.auditLength, "*"] + fields))
    }

    /// `user@host` of whoever runs mqctl.
    static let actor: String = {
        let user = ProcessInfo.processInfo.environment["USER"]
            ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? String(getuid())
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }()
}
