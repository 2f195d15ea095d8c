import FoundationEssentials
import Glibc
import MQRedis

/// One admin action, as written to the capped stream `P:audit`.
public struct AuditEntry: Sendable {
    public var command: String
    public var queue: String?
    /// What the action counted: moved, deleted, enqueued...
    public var counts: [(String, Int)]
    /// How the messages were chosen (ids, --all, filters).
    public var detail: String?
    /// How the action ended: an entry written on the way out of a failed or
    /// interrupted run counts what it did before it stopped.
    public var outcome: AuditOutcome

    public init(command: String, queue: String? = nil, counts: [(String, Int)] = [], detail: String? = nil,
                outcome: AuditOutcome = .completed) {
        self.command = command
        self.queue = queue
        self.counts = counts
        self.detail = detail
        self.outcome = outcome
    }
}

/// The `outcome` field of an audit entry.
public enum AuditOutcome: Equatable, Sendable, CustomStringConvertible {
    case completed
    case interrupted(signal: Int32)
    /// The first line of the error that ended the run.
    case failed(String)

    /// The outcome of a run that ended with `error`, or completed for nil.
    public init(ending error: Error?) {
        switch error {
        case nil: self = .completed
        case let interrupted as Interrupted: self = .interrupted(signal: interrupted.signal)
        case let error?: self = .failed(String(String(describing: error).prefix { $0 != "\n" }))
        }
    }

    /// `completed`, `interrupted: SIGTERM`, `failed: REASON`.
    public var description: String {
        switch self {
        case .completed: return "completed"
        case .interrupted(let signal): return "interrupted: \(Interrupted(signal: signal).signalName)"
        case .failed(let reason): return "failed: \(reason)"
        }
    }
}

/// Who runs mqctl on this machine, as audit entries and lock tokens name
/// them. The user comes from the effective uid, not `$USER`, which anyone
/// can set to anything.
public enum LocalIdentity {
    public static let user: String = {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return String(geteuid()) }
        return String(cString: name)
    }()

    public static let host = ProcessInfo.processInfo.hostName

    /// `user@host`.
    public static var actor: String { "\(user)@\(host)" }
}

extension Broker {
    /// Entries kept in `P:audit` (approximately: MAXLEN ~).
    public static let auditLength = 10_000

    /// Appends an entry with the time, the OS user and host (`by`), the
    /// Redis ACL user (`redis_user`, on servers with ACLs) and the outcome.
    /// One round trip (XADD, https://redis.io/commands/xadd/), plus one the
    /// first time a server and user are audited (ACL WHOAMI).
    public func audit(_ entry: AuditEntry) throws {
        var fields: [any RedisArgument] = [
            "time", Int(time.nowMilliseconds()), "command", entry.command, "by", LocalIdentity.actor,
        ]
        if let queue = entry.queue { fields += ["queue", queue] }
        for (name, count) in entry.counts { fields += [name, count] }
        if let detail = entry.detail, !detail.isEmpty { fields += ["selection", detail] }
        if let redisUser = try redisUser() { fields += ["redis_user", redisUser] }
        fields += ["outcome", entry.outcome.description]
        try connection.send(RedisCommand(["XADD", keys.audit, "MAXLEN", "~", Self.auditLength, "*"] + fields))
    }

    /// `audit` for an action that is already done: a failure to write the
    /// entry comes back as a warning to print instead of an error, since a
    /// secondary write never turns a finished move into a failure. Nil when
    /// the entry was written.
    public func auditReportingFailure(_ entry: AuditEntry) -> String? {
        do {
            try audit(entry)
            return nil
        } catch {
            return "the audit entry for '\(entry.command)' was not written: \(error)"
        }
    }

    /// The ACL user the connection is authenticated as, nil on a server
    /// without ACLs (before Redis 6). Asked once per server and user name.
    func redisUser() throws -> String? {
        let configuration = connection.configuration
        // The description names the target and user, never the password.
        let cacheKey = configuration.description
        if let known = Self.redisUsersLock.withLock({ Self.redisUsers[cacheKey] }) { return known }
        let user: String?
        do {
            user = try connection.send("ACL", "WHOAMI").string()
        } catch let error as RedisServerError where error.isPermissionError {
            // ACL WHOAMI is @slow, which least-privilege users lack; a
            // refusal still says the server has ACLs, and AUTH has already
            // told it who we are.
            user = configuration.username ?? "default"
        } catch is RedisServerError {
            user = nil
        }
        Self.redisUsersLock.withLock { Self.redisUsers[cacheKey] = .some(user) }
        return user
    }

    private static let redisUsersLock = Lock()
    nonisolated(unsafe) private static var redisUsers: [String: String?] = [:]
}

