import FoundationEssentials
import Glibc
import MQParsing
import MQRedis

/// One member of a layout's list or sorted set, read as the layout says.
/// `member` is kept byte for byte: every move names the exact member, so
/// that it removes that one and no other.
public struct LayoutMessage: Equatable, Sendable {
    public var member: [UInt8]
    /// The id field, else (or when unreadable) `sha1:` and the first 12 hex
    /// digits of the member's SHA1, so every member can be named.
    public var id: String
    /// What a handler gets: the member, or the stored message's payload.
    public var payload: [UInt8]
    public var attempts: Int64?
    public var error: String?
    /// In ms.
    public var enqueuedAt: Int64?
    public var failedAt: Int64?
    public var tier: String?
    /// The queue field, for members of sets shared by all queues.
    public var queue: String?
    /// A sorted set member's score, as ms.
    public var score: Int64?
    /// Why the member could not be read as the layout says; such a member
    /// is shown and counted, and left where it is by every move.
    public var problem: String?

    /// Reads a member whose message is itself (`.json`, `.bytes`); for
    /// `.id` members, `stored` is the message read from its key.
    public init(member: [UInt8], layout: Layout, score: Int64? = nil, stored: StoredMessage? = nil) {
        self.member = member
        self.score = score
        id = Self.digestID(member)
        payload = member
        switch layout.member {
        case .bytes:
            return
        case .json:
            do {
                read(try .object(JSONReader.object(member)), fields: layout.fields)
            } catch {
                problem = "unreadable JSON: \(error)"
            }
        case .id(_, let store):
            id = String(decoding: member, as: UTF8.self)
            switch stored {
            case nil, .missing?:
                problem = "its message is missing"
            case .hash(var fields)?:
                guard case .hash(let payloadField, let protobuf) = store else { return }
                payload = fields[payloadField] ?? []
                if !protobuf.isEmpty {
                    guard let decoded = Protobuf.fields(payload) else {
                        problem = "field \(payloadField) is not a protobuf message"
                        return
                    }
                    for (number, name) in protobuf {
                        switch decoded[number] {
                        case .number(let value)?: fields[name] = Array(String(value).utf8)
                        case .bytes(let bytes)?: fields[name] = bytes
                        case nil: continue
                        }
                    }
                }
                readHash(fields, layout.fields)
            case .string(let bytes)?:
                payload = bytes
                do {
                    read(try .object(JSONReader.object(bytes)), fields: layout.fields)
                } catch {
                    problem = "its message is unreadable JSON: \(error)"
                }
            }
        }
    }

    /// The message an id member names, as read from its key.
    public enum StoredMessage: Equatable, Sendable {
        case missing
        case hash([String: [UInt8]])
        case string([UInt8])
    }

    /// A Python traceback as its last line, the exception and its message;
    /// any other error text as it is.
    static func exceptionLine(_ text: String) -> String {
        guard text.hasPrefix("Traceback (most recent call last)") else { return text }
        return text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }.map(String.init) ?? text
    }

    /// `Class: text`, or whichever of the two there is.
    static func joined(_ errorClass: String?, _ text: String?) -> String? {
        switch (errorClass, text) {
        case let (errorClass?, text?): "\(errorClass): \(text)"
        case let (one?, nil), let (nil, one?): one
        case (nil, nil): nil
        }
    }

    public static func digestID(_ member: [UInt8]) -> String {
        "sha1:" + String(SHA1.hexDigest(member).prefix(12))
    }

    private mutating func read(_ root: JSONValue, fields: Layout.Fields) {
        func value(_ path: String?) -> JSONValue? { path.flatMap { JSONPointer($0).value(in: root) } }
        func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let text)?: text
            case .integer(let number)?: String(number)
            case .number(let number)?: String(number)
            default: nil
            }
        }
        if let id = text(value(fields.id)), !id.isEmpty { self.id = id }
        if case .integer(let attempts)? = value(fields.attempts) { self.attempts = attempts }
        error = Self.joined(text(value(fields.errorClass)), text(value(fields.error)).map(Self.exceptionLine))
        tier = text(value(fields.tier))
        queue = text(value(fields.queue))
        enqueuedAt = fields.enqueuedAt.flatMap { Self.time(value($0.path), $0.unit) }
        failedAt = fields.failedAt.flatMap { Self.time(value($0.path), $0.unit) }
    }

    private mutating func readHash(_ hash: [String: [UInt8]], _ fields: Layout.Fields) {
        func text(_ name: String?) -> String? { name.flatMap { hash[$0] }.map { String(decoding: $0, as: UTF8.self) } }
        attempts = text(fields.attempts).flatMap { Int64($0) }
        error = Self.joined(text(fields.errorClass), text(fields.error))
        tier = text(fields.tier)
        queue = text(fields.queue)
        enqueuedAt = fields.enqueuedAt.flatMap { field in text(field.path).flatMap { Self.time(.string($0), field.unit) } }
        failedAt = fields.failedAt.flatMap { field in text(field.path).flatMap { Self.time(.string($0), field.unit) } }
    }

    /// A time field's value as ms; numbers may also arrive as strings.
    static func time(_ value: JSONValue?, _ unit: Layout.TimeUnit) -> Int64? {
        let number: Double?
        switch value {
        case .integer(let integer)?: number = Double(integer)
        case .number(let double)?: number = double
        case .string(let text)?:
            if unit == .rfc3339 || unit == .utcMicroseconds { return rfc3339(text) }
            number = Double(text)
        default: number = nil
        }
        guard let number, number.isFinite, abs(number) < (unit == .nanoseconds ? 1e22 : 1e16) else { return nil }
        switch unit {
        case .seconds, .fractionalSeconds: return Int64((number * 1000).rounded())
        case .nanoseconds: return Int64((number / 1_000_000).rounded())
        case .milliseconds: return Int64(number.rounded())
        case .rfc3339, .utcMicroseconds: return nil
        }
    }

    /// Digits past milliseconds (RQ writes microseconds) are dropped.
    private static func rfc3339(_ text: String) -> Int64? {
        TimeValue.parseRFC3339(Array(text.utf8))
    }

    /// The member as the framework's own retry of it would push it:
    /// attempts per `layout.replay`, enqueued-at stamped now when it says.
    public func replayed(layout: Layout, now: Int64, keepAttempts: Bool = false, json: Bool = false) -> [UInt8] {
        let rule = keepAttempts ? .keep : layout.replay.attempts
        let attempts: Int64? = switch rule {
        case .keep: nil
        case .decrement: self.attempts.map { $0 - 1 }
        case .reset: self.attempts == nil ? nil : 0
        }
        return rewritten(layout: layout, attempts: attempts, enqueuedAt: layout.replay.stampEnqueuedAt ? now : nil, json: json)
    }

    /// For JSON kept in a hash per role: the new id and JSON a move writes.
    /// Moves to ready get a new id written at `replay.newIDPath` (Dramatiq
    /// acks by the id in the message), rewritten as `replayed` for a retry.
    public func renamed(layout: Layout, now: Int64, target: LayoutTarget, asRetry: Bool, keepAttempts: Bool) -> (id: String, json: [UInt8]) {
        let id = String(decoding: member, as: UTF8.self)
        guard target == .ready, let path = layout.replay.newIDPath,
              var root = try? JSONValue.object(JSONReader.object(payload)) else { return (id, payload) }
        var copy = self
        copy.member = payload
        if asRetry, let rewritten = try? JSONValue.object(JSONReader.object(copy.replayed(layout: layout, now: now, keepAttempts: keepAttempts, json: true))) {
            root = rewritten
        }
        let newID = UUID().uuidString.lowercased()
        root = JSONPointer(path).setting(.string(newID), in: root)
        return (newID, Array(root.text.utf8))
    }

    /// The member after a failed attempt or a move: the attempts, error and
    /// failed-at fields set where the layout has them. Members the layout
    /// cannot edit (bytes, ids, unreadable JSON) come back unchanged, and
    /// so does one whose fields are all absent from the layout.
    /// `json` says the member is JSON though the layout's members are not
    /// (a message kept in a hash per role).
    public func rewritten(layout: Layout, attempts: Int64? = nil, error: String? = nil, failedAt: Int64? = nil,
                          enqueuedAt: Int64? = nil, json: Bool = false) -> [UInt8] {
        // The member itself must be the JSON (for a hash per role it is the id).
        let memberIsJSON: Bool = if case .json = layout.member { true } else { json }
        guard memberIsJSON, problem == nil, var root = try? JSONValue.object(JSONReader.object(member)) else {
            return member
        }
        let before = root
        if let attempts, let path = layout.fields.attempts {
            root = JSONPointer(path).setting(.integer(attempts), in: root)
        }
        if let error, let path = layout.fields.error {
            root = JSONPointer(path).setting(.string(error), in: root)
        }
        if let failedAt, let field = layout.fields.failedAt {
            root = JSONPointer(field.path).setting(field.unit.json(failedAt), in: root)
        }
        if let enqueuedAt, let field = layout.fields.enqueuedAt {
            root = JSONPointer(field.path).setting(field.unit.json(enqueuedAt), in: root)
        }
        return root == before ? member : Array(root.text.utf8)
    }
}
