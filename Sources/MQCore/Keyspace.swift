import FoundationEssentials
import Glibc

/// Every Redis key mqctl owns is named here and nowhere else (DESIGN.md §2).
///
/// Per-queue keys carry the hash tag `{Q}`, so all keys of one queue live in
/// one Redis Cluster slot and each script touches a single slot.
public struct Keyspace: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    /// SET: names of known queues.
    public var queues: String { "\(prefix):queues" }
    /// STREAM: one entry per admin action, capped.
    public var audit: String { "\(prefix):audit" }
    /// ZSET: worker id → last heartbeat (ms).
    public var workers: String { "\(prefix):workers" }
    /// HASH: one worker's registration, with a TTL renewed by heartbeats.
    public func worker(_ id: String) -> String { "\(prefix):worker:\(id)" }
    /// STRING: a cron/run lock, `SET NX PX` with a token naming the holder.
    public func lock(_ name: String) -> String { "\(prefix):lock:\(name)" }

    public func queue(_ name: QueueName) -> QueueKeys {
        QueueKeys(base: "\(prefix):{\(name.rawValue)}")
    }

    /// mqctl's own keys beside a queue of a declared layout (its counters,
    /// idempotency keys, workers' processing lists, and the retry or dead
    /// set the layout lacks): `P:layout:L:{Q}:*`. The layout's keys
    /// themselves are built by `LayoutQueue`.
    public func layoutQueue(_ layout: String, _ name: QueueName) -> QueueKeys {
        QueueKeys(base: "\(prefix):layout:\(layout):{\(name.rawValue)}")
    }
}

/// The keys of one queue.
public struct QueueKeys: Equatable, Sendable {
    /// `P:{Q}`, the start of every key of the queue.
    public let base: String

    /// LIST: ids ready to run in one tier; RPUSH to enqueue, LPOP to fetch.
    public func ready(_ priority: Priority) -> String { "\(base):ready:\(priority.rawValue)" }
    /// The ready lists in fetch order, express first.
    public var readyTiers: [String] { Priority.allCases.map(ready) }
    /// ZSET: id → run-at (ms).
    public var delayed: String { "\(base):delayed" }
    /// ZSET: id → retry-at (ms).
    public var retry: String { "\(base):retry" }
    /// ZSET: id → lease deadline (ms).
    public var inflight: String { "\(base):inflight" }
    /// ZSET: id → failed-at (ms).
    public var dead: String { "\(base):dead" }
    /// LIST: wake-up tokens: an idle worker blocks on it (BLPOP) instead of
    /// polling; scripts that make messages ready push one. Capped.
    public var wake: String { "\(base):wake" }
    /// Pub/sub channel (not a key) for lifecycle events.
    public var events: String { "\(base):events" }
    /// HASH: the queue's settings (`QueueConfig`).
    public var config: String { "\(base):config" }
    /// HASH: the envelope of message `id`.
    public func message(_ id: String) -> String { "\(base):msg:\(id)" }
    /// HASH: dead letters on their way to another queue (`dlq replay
    /// --to-queue`): id → "TARGET TOKEN". Cleared once the letter is gone
    /// from here, so a cut-short replay can be finished without doubling.
    public var transfers: String { "\(base):transfers" }
    /// STRING: the token of a transfer from queue `source` that this queue
    /// received, with a TTL: proof of delivery for the source's re-run.
    public func receipt(from source: QueueName, id: String) -> String { "\(base):receipt:\(source.rawValue):\(id)" }
    /// STRING: the id enqueued under an idempotency key, with a TTL.
    public func idempotency(_ key: String) -> String { "\(base):idem:\(key)" }
    /// STRING: a running total.
    public func counter(_ counter: Counter) -> String { "\(base):count:\(counter.rawValue)" }
    /// STRING: the count in one minute (epoch minute), expiring after a day.
    public func counter(_ counter: Counter, minute: Int64) -> String { "\(base):count:\(counter.rawValue):\(minute)" }
    /// LIST: the members a worker of a layout queue holds (LMOVEd from
    /// a ready list), returned by `reap` once the worker is gone.
    public func processing(worker: String) -> String { "\(base):processing:\(worker)" }
    /// SET: ids of workers that may hold a processing list.
    public var processingWorkers: String { "\(base):processing" }
    /// A SCAN pattern for every key of the queue.
    public var scanPattern: String { Keyspace.escapeGlob(base) + ":*" }
}

/// The counters each queue keeps, as totals and per-minute buckets.
public enum Counter: String, CaseIterable, Sendable {
    case enqueued, processed, failed, dead
    /// Enqueues refused because the queue was at its max_length.
    case rejected
    /// Dead letters removed by the dead_max / dead_max_age caps.
    case deadTrimmed = "dead_trimmed"
}

extension Keyspace {
    /// The Redis type (as TYPE names it) mqctl keeps at `key`, or nil for a
    /// key that is not mqctl's.
    public func expectedType(of key: String) -> String? {
        guard key.hasPrefix(prefix + ":") else { return nil }
        let rest = key.dropFirst(prefix.count + 1)
        if rest.hasPrefix("{"), let close = rest.firstIndex(of: "}") {
            let part = rest[rest.index(after: close)...].split(separator: ":").first.map(String.init) ?? ""
            switch part {
            case "ready", "wake": return "list"
            case "delayed", "retry", "inflight", "dead": return "zset"
            case "config", "msg", "transfers": return "hash"
            case "idem", "count", "receipt": return "string"
            default: return nil
            }
        }
        switch rest.split(separator: ":").first.map(String.init) ?? "" {
        case "queues": return "set"
        case "audit": return "stream"
        case "workers": return "zset"
        case "worker": return "hash"
        case "lock": return "string"
        default: return nil
        }
    }

    /// Seconds a per-minute counter bucket lives.
    static let minuteBucketTTL = 86_400

    /// A literal for a SCAN MATCH pattern: glob characters are escaped.
    static func escapeGlob(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\^".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

/// A validated queue name: `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`. Braces
/// would change the cluster slot, glob characters would leak into SCAN
/// patterns and `:` would collide with other keys.
public struct QueueName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return !first
            default:
                return false
            }
        }
        guard (1...128).contains(bytes.count), allowed(bytes[0], first: true),
              bytes.dropFirst().allSatisfy({ allowed($0, first: false) }) else {
            throw MQError.invalidQueueName(text)
        }
        rawValue = text
    }

    public var description: String { rawValue }

    /// Names are ASCII, so byte order is String order, without Unicode
    /// comparison's cost (sorting a thousand names).
    public static func < (lhs: QueueName, rhs: QueueName) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// A message id: a ULID by default, or the caller's own: 1 to 128
/// characters from `A-Z a-z 0-9 . _ : @ -`, so it is safe inside a key.
public enum MessageID {
    public static func validate(_ id: String) throws -> String {
        let valid = (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        guard valid else { throw MQError.invalidMessageID(id) }
        return id
    }

    /// A ULID (https://github.com/ulid/spec): 48 bits of milliseconds then
    /// 80 random bits, in Crockford base32, so ids sort by creation time.
    /// Within one millisecond the random part counts up (the spec's
    /// monotonic mode), so ids made by one process sort in the order made.
    public static func generate(nowMilliseconds: Int64) -> String {
        generator.next(nowMilliseconds: nowMilliseconds)
    }

    private static let generator = ULIDGenerator()
}

/// The state behind monotonic ULIDs. The random part comes from a
/// SplitMix64 stream seeded once from the system: ids need to be unique and
/// unguessable enough, not secret, and a getrandom call per id cost more
/// than the rest of an enqueue.
private final class ULIDGenerator: @unchecked Sendable {
    private let lock = Lock()
    private var lastMilliseconds: Int64 = -1
    private var high: UInt16 = 0
    private var low: UInt64 = 0
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    func next(nowMilliseconds: Int64) -> String {
        let id = lock.withLock { () -> (time: Int64, high: UInt16, low: UInt64) in
            if nowMilliseconds <= lastMilliseconds {
                // Same (or an earlier) millisecond: count up from the last id.
                self.low &+= 1
                if self.low == 0 { self.high &+= 1 }
            } else {
                lastMilliseconds = nowMilliseconds
                self.low = splitMix()
                self.high = UInt16(truncatingIfNeeded: splitMix())
            }
            return (lastMilliseconds, self.high, self.low)
        }
        return Self.encode(time: id.time, high: id.high, low: id.low)
    }

    private func splitMix() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// 128 bits (time in the top 48, then 16 + 64 random bits) as 26
    /// base32 characters, most significant first.
    private static func encode(time: Int64, high: UInt16, low: UInt64) -> String {
        var characters = [UInt8](repeating: 0, count: 26)
        var (h, l) = (UInt64(time) << 16 | UInt64(high), low)
        for index in stride(from: 25, through: 0, by: -1) {
            characters[index] = alphabet[Int(l & 31)]
            l = l >> 5 | (h & 31) << 59
            h >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
