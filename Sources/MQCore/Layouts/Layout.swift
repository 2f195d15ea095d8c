import FoundationEssentials
import Glibc
import MQFormat
import MQParsing

/// Where a queue's messages live in keys that another program writes, and
/// how to read them (a config file declares it; `LayoutFile` reads it).
/// Key names are templates: `{queue}` stands for the queue's name.
///
/// mqctl's own keyspace (`Keyspace`) is the built-in layout `native`; a
/// declared layout is served by `LayoutQueue` and the Broker+Layout
/// operations over the roles below.
public struct Layout: Equatable, Sendable {
    public var name: String
    public var description: String
    public var queues: QueueNaming
    /// Ready lists in fetch order, each with its tier name.
    public var ready: [ReadyList]
    /// The end producers push to and the end consumers pop from.
    public var push: ListEnd
    public var pop: ListEnd
    public var delayed: ScoredRole?
    public var retry: ScoredRole?
    public var dead: DeadRole?
    public var member: MemberForm
    public var fields: Fields
    /// Messages the ready lists may hold; `enqueue` refuses beyond it and
    /// usage is measured against it.
    public var capacity: Int64?
    /// Attempts before `work` dead-letters a message (default 5).
    public var maxAttempts: Int64
    /// The tier that due delayed and retry members return to when the
    /// member names none (default: the last ready list).
    public var promoteTo: String
    /// How a replayed or retried-now member is rewritten, as the
    /// framework's own retry does it.
    public var replay = Replay()
    /// Fields `enqueue` fills in when the payload lacks them, and those
    /// the payload must have (Sidekiq's `class`, Dramatiq's `actor_name`).
    public var enqueueDefaults: [FieldValue] = []
    public var enqueueRequired: [String] = []
    /// Dead letters kept at most (oldest trimmed first) and for at most
    /// this long (ms), after each move there; nil for no cap.
    public var deadMax: Int64?
    public var deadMaxAge: Int64?
    /// The dead set's scores are expiry times (RQ's failed registry), not
    /// failure times: members past theirs are gone as far as the framework
    /// is concerned.
    public var deadScoreIsExpiry = false
    /// For id members: hash fields set on every move to ready (RQ's
    /// `_enqueue_job`: status queued, a new enqueued_at), and those a
    /// replay sets besides (RQ's requeue clears started_at and ended_at).
    public var readyFields: [FieldValue] = []
    public var replayFields: [FieldValue] = []
    /// Hash fields set on a move to the dead letters (asynq: state archived).
    public var deadFields: [FieldValue] = []
    /// Where the last error is, when not in the message: the newest entry
    /// of a stream per message that has `field` (RQ's `rq:results:ID`).
    public var errorSource: ErrorSource?
    /// Why a command on a role, or `enqueue`, is refused: the framework
    /// keeps that state outside Redis, or writing it would break it.
    /// Keys: `delayed`, `retry`, `dead`, `enqueue`, `work`, and `moves`
    /// (every move and removal, where listing is fine).
    public var refusals: [String: String] = [:]
    /// The framework whose own encoding `enqueue` writes, and for BullMQ
    /// whose own state changes every move makes; nil for plain members.
    public var writeProtocol: WriteProtocol?

    public enum WriteProtocol: String, Sendable, CaseIterable {
        /// BullMQ 5: the marker key, the events stream, priorities and job
        /// hashes (`BullMQScripts`).
        case bullmq
        /// RQ: enqueue writes the job hash with the pickled call (`RQJob`).
        case rq
        /// Celery: enqueue writes kombu's envelope (`CeleryMessage`).
        case celery
    }

    /// Endings of what a `pattern` finds that belong to a queue's other
    /// roles: `Q.XQ` is queue Q's (Dramatiq's dead letters).
    public var queueSuffixes: [String] = []

    /// Throws the layout's reason when it refuses `action`.
    public func check(_ action: String) throws {
        if let reason = refusals[action] { throw MQError.layoutRefused("layout '\(name)': \(reason)") }
    }

    public struct ErrorSource: Equatable, Sendable {
        /// A key template with `{id}`.
        public var key: String
        public var field: String
        public var encoding: Encoding

        public enum Encoding: String, Sendable, CaseIterable {
            case plain
            case base64Zlib = "base64-zlib"
        }

        public init(key: String, field: String, encoding: Encoding) {
            self.key = key
            self.field = field
            self.encoding = encoding
        }
    }

    public struct Replay: Equatable, Sendable {
        /// Like `dlq replay` on mqctl's own queues, attempts start again
        /// unless the framework's own retry does otherwise.
        public var attempts: AttemptsRule = .reset
        /// Set enqueued-at to now on every push to ready (Sidekiq does).
        public var stampEnqueuedAt = false
        /// Where a message kept in a hash per role carries its id, which a
        /// move to ready renews (Dramatiq's options.redis_message_id).
        public var newIDPath: String?

        public init(attempts: AttemptsRule = .reset, stampEnqueuedAt: Bool = false) {
            self.attempts = attempts
            self.stampEnqueuedAt = stampEnqueuedAt
        }
    }

    public enum AttemptsRule: String, Sendable, CaseIterable {
        case keep, decrement, reset
    }

    /// A value `enqueue` fills in: JSON text, or one made at the time.
    public enum DefaultValue: Equatable, Sendable {
        case json(String)
        /// 24 lowercase hex digits (Sidekiq's jid).
        case hexID
        /// A lowercase UUID (Dramatiq's message_id).
        case uuid
        /// The queue's name.
        case queueName
        /// The time now, in the unit given.
        case now(TimeUnit)

        /// The value made for `queue` at `now` (ms).
        public func value(queue: QueueName, now: Int64) -> JSONValue {
            switch self {
            case .json(let text): (try? JSONReader.value(Array(text.utf8))) ?? .string(text)
            case .hexID: .string((0..<12).map { _ in String(printf: "%02x", UInt8.random(in: 0...255)) }.joined())
            case .uuid: .string(UUID().uuidString.lowercased())
            case .queueName: .string(queue.rawValue)
            case .now(let unit): unit.json(now)
            }
        }

        /// The same as a hash field holds it: a string as it is, else JSON text.
        public func text(queue: QueueName, now: Int64) -> String {
            switch value(queue: queue, now: now) {
            case .string(let text): text
            case let value: value.text
            }
        }
    }

    /// A field (a JSON pointer or a hash field) and what goes in it.
    public struct FieldValue: Equatable, Sendable {
        public var field: String
        public var value: DefaultValue

        public init(field: String, value: DefaultValue) {
            self.field = field
            self.value = value
        }
    }

    /// Whether messages are JSON that mqctl reads and writes: JSON members,
    /// or JSON kept in a hash per role.
    public var messagesAreJSON: Bool {
        switch member {
        case .json, .id(_, .roleHash): true
        case .bytes, .id: false
        }
    }

    public init(
        name: String, description: String = "", queues: QueueNaming, ready: [ReadyList], push: ListEnd = .right,
        pop: ListEnd = .left, delayed: ScoredRole? = nil, retry: ScoredRole? = nil, dead: DeadRole? = nil,
        member: MemberForm = .json, fields: Fields = Fields(), capacity: Int64? = nil, maxAttempts: Int64 = 5,
        promoteTo: String? = nil
    ) {
        self.name = name
        self.description = description
        self.queues = queues
        self.ready = ready
        self.push = push
        self.pop = pop
        self.delayed = delayed
        self.retry = retry
        self.dead = dead
        self.member = member
        self.fields = fields
        self.capacity = capacity
        self.maxAttempts = maxAttempts
        self.promoteTo = promoteTo ?? ready.last?.tier ?? ""
    }

    public enum ListEnd: String, Sendable, CaseIterable {
        case left, right
    }

    public struct ReadyList: Equatable, Sendable {
        public var tier: String
        public var key: String

        public init(tier: String, key: String) {
            self.tier = tier
            self.key = key
        }
    }

    /// A sorted set whose scores are times in `unit`.
    public struct ScoredRole: Equatable, Sendable {
        public var key: String
        public var unit: ScoreUnit

        public init(key: String, unit: ScoreUnit) {
            self.key = key
            self.unit = unit
        }
    }

    public enum DeadRole: Equatable, Sendable {
        /// Scored by failed-at.
        case sortedSet(ScoredRole)
        /// Pushed at the layout's push end, so the oldest is at the pop end.
        case list(key: String)

        public var key: String {
            switch self {
            case .sortedSet(let role): role.key
            case .list(let key): key
            }
        }
    }

    /// What a score means.
    public enum ScoreUnit: String, Sendable, CaseIterable {
        case seconds, milliseconds
        /// BullMQ's delayed set: epoch ms × 0x1000 plus an ordinal.
        case bullmq

        public func score(milliseconds: Int64) -> String {
            switch self {
            // Whole seconds, rounded up, as applications write them (time.Now().Unix()).
            case .seconds: String(milliseconds / 1000 + (milliseconds % 1000 > 0 ? 1 : 0))
            case .milliseconds: String(milliseconds)
            // The last score of that millisecond's window, as BullMQ's promoter reads "due".
            case .bullmq: String(milliseconds * 0x1000 + 0xFFF)
            }
        }

        public func milliseconds(score: Double) -> Int64 {
            switch self {
            case .seconds: Int64((score * 1000).rounded())
            case .milliseconds: Int64(score.rounded())
            case .bullmq: Int64(score / 0x1000)
            }
        }
    }

    /// How a list or set member carries its message.
    public enum MemberForm: Equatable, Sendable {
        /// The member is the message, a JSON object; `fields` are JSON pointers.
        case json
        /// The member is the message, opaque bytes: no fields can be read.
        case bytes
        /// The member is an id; the message is at `key` (a template with
        /// `{id}`), a hash whose `fields` are field names and whose
        /// `payloadField` is the payload, or a string holding JSON.
        case id(key: String, store: MessageStore)
    }

    public enum MessageStore: Equatable, Sendable {
        /// A hash; `protobuf` names the fields of a protobuf message in its
        /// payload field (asynq's `msg`), which `fields` then name like hash fields.
        case hash(payloadField: String, protobuf: [Int: String] = [:])
        case jsonString
        /// JSON in one hash per role, the role's key plus `suffix`, under
        /// the id (Dramatiq's `dramatiq:Q.msgs`, `dramatiq:Q.XQ.msgs`).
        case roleHash(suffix: String)
    }

    /// Where the message's bookkeeping is, when the layout has it.
    public struct Fields: Equatable, Sendable {
        public var id: String?
        public var attempts: String?
        public var error: String?
        public var enqueuedAt: TimeField?
        public var failedAt: TimeField?
        /// The ready tier a promoted or replayed member returns to.
        public var tier: String?
        /// The queue a member of a set shared by all queues belongs to
        /// (Sidekiq's `retry`, `schedule` and `dead` hold every queue's jobs).
        public var queue: String?
        /// Read only: the error's class, shown (and matched) before the
        /// error text as `Class: text` (Sidekiq's error_class).
        public var errorClass: String?

        public init(id: String? = nil, attempts: String? = nil, error: String? = nil, enqueuedAt: TimeField? = nil,
                    failedAt: TimeField? = nil, tier: String? = nil, queue: String? = nil, errorClass: String? = nil) {
            self.errorClass = errorClass
            self.id = id
            self.attempts = attempts
            self.error = error
            self.enqueuedAt = enqueuedAt
            self.failedAt = failedAt
            self.tier = tier
            self.queue = queue
        }
    }

    public struct TimeField: Equatable, Sendable {
        public var path: String
        public var unit: TimeUnit

        public init(path: String, unit: TimeUnit) {
            self.path = path
            self.unit = unit
        }
    }

    public enum TimeUnit: String, Sendable, CaseIterable {
        /// Whole epoch seconds when written (Go's time.Unix()).
        case seconds
        /// Epoch seconds with a fraction (Ruby's Time.now.to_f, Python's time.time()).
        case fractionalSeconds = "fractional_seconds"
        case milliseconds, rfc3339
        /// Epoch nanoseconds (asynq's pending_since).
        case nanoseconds
        /// `2026-12-02T02:05:30.123456Z`, as RQ writes times.
        case utcMicroseconds = "utc_microseconds"

        /// A time (ms) as this unit writes it in a hash field.
        public func text(_ milliseconds: Int64) -> String {
            if case .string(let text) = json(milliseconds) { return text }
            return json(milliseconds).text
        }

        /// A time (ms) as this unit writes it in JSON.
        public func json(_ milliseconds: Int64) -> JSONValue {
            switch self {
            case .seconds: .integer(milliseconds / 1000)
            case .fractionalSeconds: .number(Double(milliseconds) / 1000)
            case .milliseconds: .integer(milliseconds)
            case .nanoseconds: .integer(milliseconds * 1_000_000)
            case .rfc3339: .string(TimeText.rfc3339(milliseconds, milliseconds: false))
            // 2026-12-03T10:00:00.250000Z: milliseconds written as microseconds.
            case .utcMicroseconds: .string(String(TimeText.rfc3339(milliseconds).dropLast()) + "000Z")
            }
        }
    }

    /// Which queues the layout has.
    public enum QueueNaming: Equatable, Sendable {
        case fixed([QueueName])
        /// Found by SCAN: a key template with `{queue}` (e.g. `jobs:{queue}:ready`).
        case pattern(String)
        /// The members of a set, less `memberPrefix`.
        case set(key: String, memberPrefix: String)
    }

    /// The key templates that hold one queue's members only (those with `{queue}`).
    public var ownKeyTemplates: [String] {
        (ready.map(\.key) + [delayed?.key, retry?.key, dead?.key].compactMap { $0 }).filter { $0.contains("{queue}") }
    }

    public func tier(named name: String) -> ReadyList? {
        ready.first { $0.tier == name }
    }
}
