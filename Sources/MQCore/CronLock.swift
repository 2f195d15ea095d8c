import Dispatch
import FoundationEssentials
import Glibc
import MQFormat
import MQRedis

/// A lock that keeps two runs of a bulk mover (replay, purge, import,
/// promote, reap) from working the same queue at once: `SET NX PX` with a
/// token that names the holder, renewed from a thread of its own for as
/// long as the run lives, and released only by that token.
public final class CronLock {
    /// The TTL commands use: a run that dies without releasing blocks the
    /// next one at most this long (a holder known dead is taken over at once).
    public static let defaultTTL: Int64 = 30_000

    public let key: String
    /// `COMMAND:QUEUE`, as messages name the lock.
    public let name: String
    /// The holder this run took the lock over from, because it ran on this
    /// host and its pid is gone; nil when the lock was free. For a warning.
    public let takenOver: String?
    private let connection: RedisConnection
    private let token: String
    private let renewal: LockRenewal
    private var released = false

    /// Takes the lock or throws `lockHeld` naming the current holder. One
    /// round trip when the lock is free; three more to take it over from a
    /// holder that is gone.
    init(connection: RedisConnection, key: String, name: String, ttl: Int64) throws {
        self.connection = connection
        self.key = key
        self.name = name
        let token = LockToken.forThisRun().text
        self.token = token
        takenOver = try Self.take(key, name: name, token: token, ttl: ttl, over: connection)
        renewal = LockRenewal(configuration: connection.configuration, key: key, token: token, ttl: ttl)
    }

    deinit {
        // A lock dropped without release must not be renewed forever.
        renewal.stop()?.close()
    }

    /// Call between batches: throws `Interrupted` when SIGINT or SIGTERM
    /// arrived, and `lockHeld` when a renewal found the lock lost (it
    /// expired and another run took it), so the work stops.
    public func checkpoint() throws {
        try Interruption.checkpoint()
        if renewal.lockLost {
            throw MQError.lockHeld(name: name, holder: "the lock expired and was taken by another run")
        }
    }

    /// Stops the renewals and releases the lock if this run still holds it.
    /// Works when the main connection is gone (a timeout closes it): then
    /// over the renewal's connection, or a new one. Later calls do nothing.
    public func release() {
        guard !released else { return }
        released = true
        let renewalConnection = renewal.stop()
        defer { renewalConnection?.close() }
        let release = { (connection: RedisConnection) in
            _ = try connection.run(QueueScripts.lock, keys: [self.key], arguments: [self.token, ""])
        }
        if connection.isConnected, (try? release(connection)) != nil { return }
        guard let spare = renewalConnection ?? (try? RedisConnection(configuration: connection.configuration)) else { return }
        _ = try? spare.withReconnect(ReconnectPolicy(maximumAttempts: 1), release)
    }

    /// SET NX; when that fails and the holder is a run of this host that is
    /// gone, frees the key by the holder's token and sets it again. Returns
    /// the holder taken over from, if any.
    private static func take(_ key: String, name: String, token: String, ttl: Int64, over connection: RedisConnection) throws -> String? {
        func set() throws -> Bool {
            try connection.send("SET", key, token, "NX", "PX", Int(ttl)) == .status("OK")
        }
        func holder() throws -> String? {
            try connection.send("GET", key).optionalString()
        }
        if try set() { return nil }
        var current = try holder()
        if let text = current, let gone = LockToken(parsing: text), gone.holderIsGone {
            // Token-checked, so of two runs taking over at once one wins
            // and the other finds the winner holding the lock.
            try connection.run(QueueScripts.lock, keys: [key], arguments: [text, ""])
            if try set() { return gone.holder }
            current = try holder()
        }
        throw MQError.lockHeld(name: name, holder: current.map { LockToken(parsing: $0)?.holder ?? $0 } ?? "(released just now)")
    }
}

/// The value of a lock key, `user@host pid N since TIME #NONCE`: readable by
/// an operator, and parsed by a later run to tell whether the holder lives.
struct LockToken {
    var user: String
    var host: String
    var pid: pid_t
    var since: String
    /// Tells two runs apart that share a pid (one per container, say).
    var nonce: UInt32

    static func forThisRun() -> LockToken {
        LockToken(user: LocalIdentity.user, host: LocalIdentity.host, pid: getpid(),
                  since: TimeText.rfc3339(Int64(Date().timeIntervalSince1970 * 1000), milliseconds: false), nonce: UInt32.random(in: 0...UInt32.max))
    }

    init(user: String, host: String, pid: pid_t, since: String, nonce: UInt32) {
        self.user = user
        self.host = host
        self.pid = pid
        self.since = since
        self.nonce = nonce
    }

    /// Nil for a token of another form (an older mqctl, another tool).
    init?(parsing text: String) {
        guard let hash = text.ranges(of: " #").last,
              let nonce = UInt32(text[hash.upperBound...]),
              let since = text[..<hash.lowerBound].ranges(of: " since ").last,
              let pidWord = text[..<since.lowerBound].ranges(of: " pid ").last,
              let pid = pid_t(text[pidWord.upperBound..<since.lowerBound]),
              let at = text[..<pidWord.lowerBound].lastIndex(of: "@").map({ $0..<text.index(after: $0) })
        else { return nil }
        self.init(user: String(text[..<at.lowerBound]), host: String(text[at.upperBound..<pidWord.lowerBound]), pid: pid,
                  since: String(text[since.upperBound..<hash.lowerBound]), nonce: nonce)
    }

    var text: String { "\(holder) #\(nonce)" }

    /// The token without its nonce, for messages.
    var holder: String { "\(user)@\(host) pid \(pid) since \(since)" }

    /// True when the holder ran on this host and no process has its pid.
    /// A pid reused since counts as alive: the lock then waits out its TTL.
    var holderIsGone: Bool {
        host == LocalIdentity.host && kill(pid, 0) == -1 && errno == ESRCH
    }
}

/// Renews a lock every third of its TTL from a thread of its own, over a
/// connection of its own (a `RedisConnection` is not thread-safe), so a run
/// waiting on a slow stdin or a slow batch keeps it. Opens that connection
/// at the first renewal: runs shorter than a third of the TTL never do.
final class LockRenewal: @unchecked Sendable {
    private let configuration: RedisConfiguration
    private let key: String
    private let token: String
    private let ttl: Int64
    /// Guards both flags and wakes the thread when stopped.
    private let state = ConditionLock()
    private var stopRequested = false
    private var lost = false
    private let finished = DispatchSemaphore(value: 0)
    /// Used by the thread alone until it has finished.
    private var connection: RedisConnection?

    init(configuration: RedisConfiguration, key: String, token: String, ttl: Int64) {
        self.configuration = configuration
        self.key = key
        self.token = token
        self.ttl = ttl
        startThread { [self] in
            renewUntilStopped()
            finished.signal()
        }
    }

    /// True once a renewal found another token in the key (or none).
    var lockLost: Bool { state.withLock { lost } }

    /// Stops the thread and waits for it; returns its connection, if it
    /// opened one, for the caller to use or close. Later calls return nil.
    @discardableResult
    func stop() -> RedisConnection? {
        let alreadyStopped = state.withLock { () -> Bool in
            defer { stopRequested = true }
            state.signal()
            return stopRequested
        }
        guard !alreadyStopped else { return nil }
        finished.wait()
        return connection
    }

    private func renewUntilStopped() {
        let interval = Double(ttl) / 3000
        state.lock()
        defer { state.unlock() }
        while true {
            let due = ConditionLock.deadline(in: interval)
            while !stopRequested && state.wait(until: due) {}
            if stopRequested { return }
            state.unlock()
            let held = renew()
            state.lock()
            if held == false {
                lost = true
                return
            }
        }
    }

    /// True when renewed, false when the token is no longer in the key,
    /// nil when Redis could not be asked (tried again next time).
    private func renew() -> Bool? {
        do {
            let connection = try self.connection ?? RedisConnection(configuration: configuration)
            self.connection = connection
            if !connection.isConnected { try connection.reconnect() }
            return try connection.run(QueueScripts.lock, keys: [key], arguments: [token, Int(ttl)]).int() == 1
        } catch {
            return nil
        }
    }
}

extension Broker {
    /// Takes the lock for `command` on `queue` (`P:lock:COMMAND:Q`).
    public func lock(_ command: String, queue: QueueName, ttl: Int64 = CronLock.defaultTTL) throws -> CronLock {
        let name = "\(command):\(queue.rawValue)"
        return try CronLock(connection: connection, key: keys.lock(name), name: name, ttl: ttl)
    }
}
