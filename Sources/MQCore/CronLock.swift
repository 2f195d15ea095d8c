import Foundation
import MQRedis

/// A lock that keeps two runs of a bulk mover (replay, purge, import,
/// promote, reap) from working the same queue at once: `SET NX PX` with a
/// token that names the holder, renewed while the work goes on and released
/// only by that token.
public final class CronLock {
    public let key: String
    private let connection: RedisConnection
    private let token: String
    private let ttl: Int64
    private var renewedAt = monotonicSeconds()

    /// Takes the lock or throws `lockHeld` naming the current holder.
    /// One round trip.
    init(connection: RedisConnection, key: String, name: String, ttl: Int64) throws {
        self.connection = connection
        self.key = key
        self.ttl = ttl
        let started = ISO8601DateFormatter().string(from: Date())
        token = "\(Broker.actor) pid \(getpid()) since \(started) #\(UInt32.random(in: 0...UInt32.max))"
        let reply = try connection.send("SET", key, token, "NX", "PX", Int(ttl))
        guard reply == .status("OK") else {
            let holder = (try? connection.send("GET", key).optionalString()) ?? nil
            throw MQError.lockHeld(name: name, holder: holder.map { $0.components(separatedBy: " #").first ?? $0 } ?? "(released just now)")
        }
    }

    /// Extends the lock when a third of its TTL has passed; cheap to call
    /// after every batch. Throws `lockHeld` when the lock was lost (it
    /// expired and another run took it), so the work stops.
    public func renewIfDue() throws {
        guard monotonicSeconds() - renewedAt >= Double(ttl) / 3000 else { return }
        guard try connection.run(QueueScripts.lock, keys: [key], arguments: [token, Int(ttl)]).int() == 1 else {
            throw MQError.lockHeld(name: key, holder: "the lock expired and was taken by another run")
        }
        renewedAt = monotonicSeconds()
    }

    /// Releases the lock if this run still holds it.
    public func release() {
        _ = try? connection.run(QueueScripts.lock, keys: [key], arguments: [token, ""])
    }
}

extension Broker {
    /// Takes the lock for `command` on `queue` (`P:lock:COMMAND:Q`).
    public func lock(_ command: String, queue: QueueName, ttl: Int64 = 30_000) throws -> CronLock {
        let name = "\(command):\(queue.rawValue)"
        return try CronLock(connection: connection, key: keys.lock(name), name: name, ttl: ttl)
    }
}
